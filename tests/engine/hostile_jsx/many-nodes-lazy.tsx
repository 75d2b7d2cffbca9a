// Components that fan out: 10 ** 7 elements if nothing stopped it, without allocating them up front.
const Fan = ({ depth }: { depth: number }): any =>
  depth === 0 ? <i /> : <b>{[0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((k) => <Fan key={k} depth={depth - 1} />)}</b>;
export default function Template() {
  return <div><Fan depth={7} /></div>;
}
