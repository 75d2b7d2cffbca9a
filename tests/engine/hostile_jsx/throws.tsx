export default function Template({ title }) {
  if (title) {
    throw new Error("title must be shorter than 3 characters");
  }
  return <div />;
}
