export default function Template() {
  return 42;
}
