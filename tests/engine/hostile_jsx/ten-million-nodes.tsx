export default function Template() {
  return <div>{Array.from({ length: 10_000_000 }, (_, i) => <span key={i}>{i}</span>)}</div>;
}
