import { useState } from "react";
export default function Template() {
  const [n] = useState(1);
  return <div>{n}</div>;
}
