export default function Template() {
  return <div dangerouslySetInnerHTML={{ __html: "<img src=/etc/passwd>" }} />;
}
