export default function Template() {
  (Object.prototype as any).isAdmin = true;
  Array.prototype.map = function () { return ["pwned"]; };
  return <div>{String(({} as any).isAdmin)}</div>;
}
