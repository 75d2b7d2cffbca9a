// In a classic script "<!--" starts a comment; as a module it is "<", "!", "--". The difference could
// hide a brace from V8 and close the module's function wrapper early.
let z = 2;
const q = 1 <!--z || { a: 1
};
export default function Template() {
  return <div>{q}</div>;
}
