import satori from "satori";
export default function Template() {
  return <div>{String(satori)}</div>;
}
