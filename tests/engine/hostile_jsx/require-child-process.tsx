export default function Template() {
  const cp = require("child_process");
  return <div>{cp.execSync("id").toString()}</div>;
}
