import { Badge } from "./Badge";
export default function Template() {
  return <div><Badge /></div>;
}
