export default async function Template() {
  return <div>later</div>;
}
