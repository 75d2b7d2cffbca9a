export default function Template() {
  const process = (globalThis as any).constructor.constructor("return process")();
  return <div>{String(process.env.SECRET_KEY)}</div>;
}
