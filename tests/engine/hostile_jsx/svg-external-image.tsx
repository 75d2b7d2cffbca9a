export default function Template() {
  return (
    <div tw="flex">
      <svg width={10} height={10}>
        <image href="http://169.254.169.254/latest/meta-data/" width={10} height={10} />
        <use xlinkHref="file:///etc/passwd#x" />
      </svg>
    </div>
  );
}
