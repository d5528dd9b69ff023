import { describe, expect, it } from 'vitest';
import { labelValuesQuery, metricNames, selectors, substitute, variablesIn } from './promql.js';

describe('PromQL reading for the dashboard checks', () => {
  it('finds metric names, not functions, keywords, labels, strings or durations', () => {
    expect(
      metricNames(
        'histogram_quantile(0.95, sum by (le, route) (rate(tars_eval_http_request_duration_seconds_bucket{route=~"/v1.*"}[5m] offset 1m)))',
      ),
    ).toEqual(['tars_eval_http_request_duration_seconds_bucket']);
    expect(
      metricNames(
        'rate(process_cpu_seconds_total[$__rate_interval]) * on (instance, job) group_left (mode) tars_eval_build_info',
      ),
    ).toEqual(['process_cpu_seconds_total', 'tars_eval_build_info']);
    expect(metricNames('time() - tars_eval_baseline_last_update_timestamp > 86400 and up == 1')).toEqual([
      'tars_eval_baseline_last_update_timestamp',
      'up',
    ]);
    expect(metricNames('label_replace(x_total, "dst", "$1", "src", "(a)b")')).toEqual(['x_total']);
  });

  it('reads the label names of each selector', () => {
    expect(selectors('sum(a{x="1",y=~"$v"}) / b{z!="}"}')).toEqual([
      { metric: 'a', labels: ['x', 'y'], body: 'x="1",y=~"$v"' },
      { metric: 'b', labels: ['z'], body: 'z!="}"' },
    ]);
  });

  it('replaces Grafana variables and leaves label_replace groups alone', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a template
    expect(variablesIn('a{x=~"$agent_type"}[${__rate_interval}] "$1" [[environment]]')).toEqual([
      'agent_type',
      '__rate_interval',
      'environment',
    ]);
    expect(substitute('rate(a{x=~"$x"}[$__rate_interval]) "$1"', { x: '.*', __rate_interval: '1m' })).toBe(
      'rate(a{x=~".*"}[1m]) "$1"',
    );
    expect(() => substitute('a{x="$missing"}', {})).toThrow(/\$missing/);
  });

  it('turns label_values into a query for the same values', () => {
    expect(labelValuesQuery('label_values(m{a=~".*"}, environment)')).toEqual({
      query: 'group by (environment) (m{a=~".*"})',
      label: 'environment',
    });
    expect(() => labelValuesQuery('query_result(up)')).toThrow(/label_values/);
  });
});
