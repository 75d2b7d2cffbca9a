export default function Template() {
  while (true) {}
}
