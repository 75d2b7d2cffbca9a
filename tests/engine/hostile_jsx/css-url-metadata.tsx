export default function Template() {
  return <div style={{ display: "flex", backgroundImage: "url(http://169.254.169.254/latest/meta-data/)" }} />;
}
