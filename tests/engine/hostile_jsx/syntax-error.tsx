export default function Template() {
  return <div>{oops</div>;
}
