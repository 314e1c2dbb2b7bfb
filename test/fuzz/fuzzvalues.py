"""Edge values per SQL type and baseline arguments, all as self-contained SQL expressions.

An expression never refers to a table of the fuzz database except the fixtures of setup.sql
(fz.* demo warehouse, fuzz.* tables), so a printed statement replays after `bash run.sh`.
"""
import json

FLOAT8 = ["NULL", "0", "1", "-1", "0.5", "'NaN'", "'Infinity'", "'-Infinity'", "'-0'",
          "'5e-324'", "'1e308'", "'-1e308'", "'1e-300'", "100"]
INT4 = ["NULL", "0", "1", "2", "3", "-1", "2147483647", "-2147483648", "100", "10000"]
INT8 = ["NULL", "0", "1", "-1", "2147483648", "9223372036854775807", "-9223372036854775808"]
BIG = 1000000  # elements of the huge arrays and characters of the huge texts
FLOAT8_ARRAY = ["NULL", "'{}'", "'{NULL}'", "'{1,NULL}'", "'{NULL,NULL}'", "'{{1,2},{3,4}}'",
                "'[0:1]={1,2}'", "'[5:6]={1,2}'", "'{NaN,1}'", "'{Infinity,-Infinity}'",
                "'{1e308,-1e308}'", "'{5e-324,-0}'", "'{1}'", "'{1,2,3}'",
                "array_fill(1::float8, ARRAY[%d])" % BIG, "array_fill(1::float8, ARRAY[2,2,2])",
                "array_fill(0.5::float8, ARRAY[2], ARRAY[-2147483648])"]
TEXT = ["NULL", "''", "' '", "'x'", "repeat('x', %d)" % BIG, "E'\\x01\\x02garbage\\x7f\\t'",
        "'''; SELECT pg_sleep(60); --'", "'\"quoted\"'", "'\"x\"; DROP TABLE fz.customers; --'",
        "'pg_catalog.pg_authid'", "'fz.customers'", "'ctid'", "'NaN'", "'1e400'", "'{}'",
        "'default'", "'coarse'", "'quick'", "'amount'", "repeat('a', 64)", "'fuzz.\"Mixed Case\"'",
        "'public.nonexistent'"]
TEXT_ARRAY = ["NULL", "'{}'", "'{NULL}'", "'{a,NULL}'", "'{{a,b},{c,d}}'", "'[0:1]={a,b}'",
              "'{amount,amount}'", "'{\"x; DROP TABLE fz.customers\"}'",
              "array_fill('x'::text, ARRAY[%d])" % BIG, "'{profile,nonexistent}'", "'{rfm}'",
              "'{\"\"}'"]
DATE = ["NULL", "'infinity'", "'-infinity'", "'4713-01-01 BC'", "'5874897-12-31'", "'2000-01-01'",
        "'2023-01-01'", "'2099-01-01'"]
NAME = ["NULL", "''", "'public'", "'nonexistent_role'", "'pg_monitor'", "repeat('r', 100)",
        "'\"; DROP TABLE fz.customers; --'", "'pg_database_owner'", "current_user"]
BOOL = ["NULL", "true", "false"]
REGCLASS = ["NULL", "0::oid", "4294967295::oid", "'pg_class'", "'pg_catalog.pg_authid'",
            "'pg_class_oid_index'", "'fuzz.empty'", "'fuzz.nocols'", "'fuzz.types'",
            "'fuzz.seq'", "'fuzz.v_types'", "'fuzz.\"Mixed Case\"'", "'fuzz.wide'",
            "'dmine.runs'", "'fuzz.partitioned'", "'fz.sales_lines'"]

# Hostile jsonb values for a whole argument or for one field of it.
JSON_VALUES = ['null', '1e400', '-1e400', '1e-400', '-1', '0', '-0', '2147483648',
               '18446744073709551616', '18446744073709551615', '9223372036854775808', '0.5',
               '"x"', '""', '"NaN"', '"Infinity"', 'true', '[]', '{}', '[1,2]', '{"a":1}',
               '"\'; SELECT pg_sleep(60); --"', '"pg_catalog.pg_authid"', '"fz.customers"',
               '"x\\"; DROP TABLE fz.customers; --"']
JSONB = ["NULL", "'{}'", "'[]'", "'null'", "'1'", "'\"x\"'", "'{\"unknown_key\": 1}'",
         "('{\"a\":' || repeat('[', 5000) || repeat(']', 5000) || '}')::jsonb",
         "repeat('[', 100000)::text || repeat(']', 100000)",
         "'{\"n_init\": 1e400, \"seed\": 1e400}'", "'{\"seed\": 18446744073709551616}'",
         "'{\"n_trees\": \"ten\"}'", "'{\"k_min\": 2147483648}'"]
# Option keys tried with every hostile value (more are discovered from models and defaults).
OPTION_KEYS = ['n_init', 'max_iter', 'tol', 'seed', 'scale', 'sample_size', 'silhouette_sample',
               'swap_trials', 'n_trees', 'max_depth', 'contamination', 'k_min', 'k_max',
               'cluster_features', 'as_of', 'top_lines', 'rfm_scheme', 'quick_percent',
               'histogram_bins', 'profile_top_n']

POOLS = {'double precision': FLOAT8, 'integer': INT4, 'bigint': INT8, 'smallint': INT4[:6],
         'double precision[]': FLOAT8_ARRAY, 'text': TEXT, 'text[]': TEXT_ARRAY,
         'jsonb': JSONB, 'date': DATE, 'name': NAME, 'boolean': BOOL, 'regclass': REGCLASS,
         'cstring': TEXT[:4] + TEXT[5:],
         'bigint[]': ["NULL", "'{}'", "'{1,2,3}'", "'{-1}'", "'{9223372036854775807,1}'",
                      "'{NULL}'", "'[0:1]={1,1}'", "'{{1,2},{3,4}}'"]}
# Arguments whose valid large values legitimately take long (not a hang): their pool leaves
# those out, and a call with their default is not tried.
BY_NAME_POOLS = {'scale': [v for v in FLOAT8 if v not in ('1', '0.5', '100')] + ["'100.0001'"]}
COSTLY = set(BY_NAME_POOLS)

# anyelement: one value of each of several types
ANYELEMENT = ["NULL::int", "1", "'x'::text", "'NaN'::float8", "1e400::numeric", "'1.5'::money",
              "'{1,2}'::int[]", "'{\"a\":1}'::jsonb", "'\\x00ff'::bytea", "'(1,2)'::point",
              "repeat('x', %d)" % BIG, "ROW(1, 'x')", "'infinity'::timestamptz",
              "'<a/>'::xml", "'1 day'::interval", "B'101'", "'192.168.0.1'::inet"]

# Small models, fitted by self-contained statements (more come from the catalog's aggregates).
MODELS = {
    'kmeans_model': [
        "(SELECT dmine.dm_kmeans(ARRAY[x % 10, x % 7]::float8[], 2) FROM generate_series(1, 60) x)",
        "(SELECT dmine.dm_kmeans(ARRAY[x]::float8[], 1) FROM generate_series(1, 20) x)",
        "(SELECT dmine.dm_kmeans_auto(ARRAY[x % 5, x % 3, x % 11]::float8[], 2, 4, "
        "'{\"scale\": false, \"n_init\": 2}') FROM generate_series(1, 80) x)",
        "(SELECT dmine.dm_kmeans(ARRAY[x % 10, x % 7]::float8[], 3, '{\"sample_size\": 10}') "
        "FROM generate_series(1, 100) x)",
        "(SELECT dmine.dm_kmeans(ARRAY[x * 1e150, -x * 1e150]::float8[], 2) "
        "FROM generate_series(1, 30) x)",
    ],
    'iforest_model': [
        "(SELECT dmine.dm_iforest(ARRAY[x % 10, x % 7]::float8[], '{\"n_trees\": 3, "
        "\"sample_size\": 16}') FROM generate_series(1, 60) x)",
        "(SELECT dmine.dm_iforest(ARRAY[x % 10, x % 7, x]::float8[]) FROM generate_series(1, 300) x)",
        "(SELECT dmine.dm_iforest(ARRAY[x]::float8[], '{\"n_trees\": 2, \"max_depth\": 1, "
        "\"contamination\": 0.1}') FROM generate_series(1, 40) x)",
    ],
    'forecast_summary': [
        "(SELECT dmine.forecast_summary_add_index(dmine.forecast_summary_add_index(NULL, 1, 2, 3), 2, 5, 3))",
        "(SELECT dmine.forecast_summary_add_date(NULL, date '2024-01-01', 1, 2, '{\"grain\": \"month\"}'))",
    ],
    'context_summary': [
        "(SELECT dmine.dm_context_fit((x % 3)::text, x) FROM generate_series(1, 60) x)",
        "(SELECT dmine.dm_context_fit(NULL, x - 30, '{\"scale\": \"linear\"}') FROM generate_series(1, 60) x)",
        "(SELECT dmine.dm_context_fit_time((x % 2)::text, timestamp '2024-01-01' + x * interval '1 hour') "
        "FROM generate_series(1, 300) x)",
    ],
    'context_fit_summary': [
        "(SELECT dmine.dm_context_fit_summary((x % 3)::text, x) FROM generate_series(1, 60) x)",
        "(SELECT dmine.dm_context_fit_time_summary((x % 2)::text, timestamp '2024-01-01' + x * interval '1 hour') "
        "FROM generate_series(1, 300) x)",
    ],
    'context_top_summary': [
        "(SELECT dmine.dm_context_top_summary(x, jsonb_build_object('x', x, 'a', ARRAY[x, NULL]), 5) "
        "FROM generate_series(1, 60) x)",
    ],
}

CTX = ("(SELECT jsonb_build_object('run_id', 1, 'mapping', dmine.dm_mining_mapping(c), "
       "'options', dmine.dm_mining_options('{}'), 'mode', 'full') FROM dmine.mining_config c "
       "WHERE config_name = 'fz')")
CONFIG = "(SELECT c FROM dmine.mining_config c WHERE config_name = 'fz')"
HISTOGRAM = "(SELECT dmine.dm_histogram(x, 4) FROM generate_series(1, 10) x)"

# Baseline argument by parameter name: a valid value, so that one hostile argument goes deep.
BY_NAME = {
    'features': "'{1,2}'", 'cluster': "1", 'names': "'{a,b}'", 'h': HISTOGRAM,
    'rel': "'fz.sales_lines'", 'fact': "'fz.sales_lines'", 'sample_percent': "50",
    'top_n': "5", 'column_name': "'amount'", 'role': "'amount'", 'kind': "'number'",
    'relation_name': "'fz.sales_lines'", 'config_name': "'fz'", 'fact_table': "'fz.sales_lines'",
    'customer_column': "'customer_id'", 'order_column': "'order_id'", 'time_column': "'sold_at'",
    'amount_column': "'amount'", 'quantity_column': "'quantity'", 'line_column': "'line_id'",
    'extra_features': "'{}'", 'options': "'{}'", 'mode': "'full'", 'steps': "'{profile}'",
    'run_id': "NULL", 'scheme': "'default'", 'r': "3", 'f': "3", 'm': "3",
    'strictly_worse': "1", 'total': "10", 'as_of': "'2025-01-01'", 'key': "1", 'stream': "2",
    'schema_name': "'fz_demo'", 'scale': "0.002", 'seed': "42", 'keep_last': "10",
    'role_name': "'pg_monitor'", 'ctx': CTX, 'config': CONFIG,
    # aggregate arguments
    'x': None, 'bins': "4", 'lower': "0", 'upper': "10", 'k': "2", 'k_min': "2", 'k_max': "3",
    'probabilities': "'{0.1,0.5,0.9}'",
}
BY_TYPE = {'double precision': "1", 'integer': "2", 'bigint': "1", 'smallint': "1",
           'double precision[]': "'{1,2}'", 'text': "'x'", 'text[]': "'{a}'", 'jsonb': "'{}'",
           'date': "'2024-01-01'", 'name': "'pg_monitor'", 'boolean': "true",
           'regclass': "'fz.sales_lines'", 'anyelement': "1"}


def cast(expr, typ):
    return '(%s)::%s' % (expr, typ)


def json_paths(value, prefix=()):
    """Every path (as a tuple of keys/indexes) of a parsed JSON value, leaves and inner nodes."""
    out = []
    if isinstance(value, dict):
        for k, v in value.items():
            out.append(prefix + (k,))
            out.extend(json_paths(v, prefix + (k,)))
    elif isinstance(value, list):
        for i, v in enumerate(value[:3]):
            out.append(prefix + (str(i),))
            out.extend(json_paths(v, prefix + (str(i),)))
    return out


def jsonb_set(base_expr, path, value_json):
    """SQL: base_expr with the field at path replaced by value_json."""
    p = '{' + ','.join('"%s"' % k.replace('"', '\\"') for k in path) + '}'
    return "jsonb_set(%s, '%s', '%s')" % (base_expr, p.replace("'", "''"),
                                          value_json.replace("'", "''"))


def option_objects(keys):
    """'{"key": hostile}' for every key and hostile value."""
    return ["'%s'" % json.dumps({k: None}).replace('null', v).replace("'", "''")
            for k in keys for v in JSON_VALUES]
