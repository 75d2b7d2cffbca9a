export default function Template() {
  const g = Function("return this")();
  return <div>{Object.keys(g).join(",")}</div>;
}
