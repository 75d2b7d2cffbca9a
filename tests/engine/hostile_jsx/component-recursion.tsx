function Again(): any {
  return <Again />;
}
export default function Template() {
  return <div><Again /></div>;
}
