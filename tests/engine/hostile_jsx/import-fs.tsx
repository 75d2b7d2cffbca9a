export default function Template() {
  const fs = import("fs");
  return <div>{String(fs)}</div>;
}
