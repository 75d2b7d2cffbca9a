function deeper(n: number): number {
  return deeper(n + 1) + 1;
}
export default function Template() {
  return <div>{deeper(0)}</div>;
}
