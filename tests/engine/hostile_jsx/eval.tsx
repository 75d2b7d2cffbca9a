export default function Template({ title }) {
  return <div>{eval("title + '!'")}</div>;
}
