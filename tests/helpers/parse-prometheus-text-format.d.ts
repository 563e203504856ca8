// The npm package ships no types; tests/helpers/prometheus.ts gives its result a shape.
declare module "parse-prometheus-text-format" {
  const parsePrometheusTextFormat: (text: string) => unknown[];
  export default parsePrometheusTextFormat;
}
