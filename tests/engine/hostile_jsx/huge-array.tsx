// about 2 GB of doubles, a million at a time
export default function Template() {
  const chunks = [];
  for (let i = 0; i < 256; i++) chunks.push(new Array(1_000_000).fill(1.5));
  return <div>{chunks.length}</div>;
}
