const Nest = ({ n }: { n: number }): any => (n === 0 ? <span>x</span> : <div><Nest n={n - 1} /></div>);
export default function Template() {
  return <Nest n={1000} />;
}
