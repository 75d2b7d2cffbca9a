export default function Template() {
  fetch("http://169.254.169.254/latest/meta-data/");
  return <div />;
}
