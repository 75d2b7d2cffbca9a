// Legacy RegExp statics would hold the last match of the previous render (maybe someone else's props).
export default function Template({ title }) {
  const before = String((RegExp as any).lastMatch);
  /(.+)/.exec(title);
  return <div>{before}|{String((RegExp as any).$1)}</div>;
}
