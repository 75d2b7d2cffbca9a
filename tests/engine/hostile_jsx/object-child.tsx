export default function Template({ title }) {
  return <div>{{ title }}</div>;
}
