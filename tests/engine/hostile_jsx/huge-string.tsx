export default function Template() {
  let s = "x";
  for (;;) s += s;
}
