export default function Template() {
  setTimeout(() => {}, 0);
  return <div />;
}
