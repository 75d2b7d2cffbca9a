export default function Template() {
  return <div tw="flex"><img src="file:///etc/passwd" /></div>;
}
