export default function Template({ title }) {
  (globalThis as any).lastTitle = title;
  return <div />;
}
