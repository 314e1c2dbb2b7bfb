#include "options.hpp"

#include <libpq-fe.h>

#include <cstdlib>

namespace dmine::report {

namespace {

bool looks_like_conninfo(const std::string &s) {
    return s.find('=') != std::string::npos || s.rfind("postgresql://", 0) == 0 ||
           s.rfind("postgres://", 0) == 0;
}

// A connection string must not carry a password: it would show in `ps` and in shell history.
void refuse_password(const std::string &conninfo) {
    if (!looks_like_conninfo(conninfo)) return;
    char *err = nullptr;
    PQconninfoOption *opts = PQconninfoParse(conninfo.c_str(), &err);
    if (!opts) {
        std::string message = err ? err : "invalid connection string";
        if (err) PQfreemem(err);
        while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
            message.pop_back();
        throw UsageError("invalid connection string: " + message);
    }
    bool has_password = false;
    for (PQconninfoOption *o = opts; o->keyword; ++o)
        if (std::string(o->keyword) == "password" && o->val && *o->val) has_password = true;
    PQconninfoFree(opts);
    if (has_password)
        throw UsageError(
            "refusing a password on the command line: put it in ~/.pgpass (or PGPASSFILE) instead");
}

int64_t parse_run(const std::string &s) {
    char *end = nullptr;
    long long v = std::strtoll(s.c_str(), &end, 10);
    if (s.empty() || *end != '\0' || v <= 0)
        throw UsageError("--run wants a positive run id, not '" + s + "'");
    return v;
}

} // namespace

std::string usage_text() {
    return R"(Usage: dmine-report [CONNECTION] [OPTIONS] --out report.html

Writes one self-contained HTML report (charts included, opens offline) of a dmine mining run:
the latest successful run, or the one given with --run.

Connection (libpq: whatever is not given comes from PGHOST, PGPORT, PGUSER, PGDATABASE,
PGSERVICE, the service file and ~/.pgpass; a password is never taken on the command line):
  CONNINFO                  a connection string or URI, e.g. "host=db dbname=shop" or
                            postgresql://analyst@db/shop
  -d, --dbname=NAME         database name (or a connection string)
  -h, --host=HOST           server host or socket directory
  -p, --port=PORT           server port
  -U, --username=USER       user name

Options:
  -r, --run=ID              report run ID instead of the latest successful run
  -o, --out=FILE            write the HTML report to FILE ("-" for standard output)
  -t, --template=FILE       use a Mustache template instead of the built-in one
      --print-template      print the built-in template (a start for a custom one) and exit
      --csv=DIR             export the run's rows of the result tables as CSV files into DIR
      --json=FILE           write the report data as JSON to FILE ("-" for standard output)
      --top=N               list the top N anomalies (default 25)
  -q, --quiet               no progress on standard error
      --help                show this help and exit
      --version             show the version and exit

Exit status: 0 on success, 1 on an error (no connection, no dmine schema, no run), 2 on bad usage.
)";
}

Options parse_options(const std::vector<std::string> &args) {
    Options o;
    std::string dbname, host, port, user;
    bool have_dbname = false, have_host = false, have_port = false, have_user = false;
    std::vector<std::string> positional;

    for (size_t i = 0; i < args.size(); ++i) {
        const std::string &a = args[i];
        std::string name = a, value;
        bool inline_value = false;
        if (a.rfind("--", 0) == 0) {
            size_t eq = a.find('=');
            if (eq != std::string::npos) {
                name = a.substr(0, eq);
                value = a.substr(eq + 1);
                inline_value = true;
            }
        } else if (a.size() > 2 && a[0] == '-' && a[1] != '-') {
            // -dshop, -p5432
            name = a.substr(0, 2);
            value = a.substr(2);
            inline_value = true;
        }
        auto next = [&]() -> std::string {
            if (inline_value) return value;
            if (i + 1 >= args.size()) throw UsageError("option " + name + " needs a value");
            return args[++i];
        };
        auto flag = [&]() {
            if (inline_value) throw UsageError("option " + name + " takes no value");
        };

        if (name == "--help" || name == "-?") {
            flag();
            o.help = true;
        } else if (name == "--version" || name == "-V") {
            flag();
            o.version = true;
        } else if (name == "-q" || name == "--quiet") {
            flag();
            o.quiet = true;
        } else if (name == "--print-template") {
            flag();
            o.print_template = true;
        } else if (name == "-d" || name == "--dbname") {
            dbname = next();
            have_dbname = true;
        } else if (name == "-h" || name == "--host") {
            host = next();
            have_host = true;
        } else if (name == "-p" || name == "--port") {
            port = next();
            have_port = true;
        } else if (name == "-U" || name == "--username") {
            user = next();
            have_user = true;
        } else if (name == "-W" || name == "--password")
            throw UsageError(
                "there is no password option: put the password in ~/.pgpass (or PGPASSFILE)");
        else if (name == "-r" || name == "--run")
            o.run_id = parse_run(next());
        else if (name == "-o" || name == "--out")
            o.out = next();
        else if (name == "-t" || name == "--template")
            o.template_path = next();
        else if (name == "--csv")
            o.csv_dir = next();
        else if (name == "--json")
            o.json_path = next();
        else if (name == "--top") {
            std::string v = next();
            char *end = nullptr;
            long n = std::strtol(v.c_str(), &end, 10);
            if (v.empty() || *end != '\0' || n < 0 || n > 100000)
                throw UsageError("--top wants a count, not '" + v + "'");
            o.top_anomalies = static_cast<size_t>(n);
        } else if (a == "-")
            positional.push_back(a);
        else if (!a.empty() && a[0] == '-')
            throw UsageError("unknown option " + name + " (see --help)");
        else
            positional.push_back(a);
    }

    if (positional.size() > 1)
        throw UsageError("unexpected argument '" + positional[1] + "' (see --help)");
    if (!positional.empty()) {
        if (have_dbname)
            throw UsageError("give the database either as an argument or with --dbname, not both");
        dbname = positional[0];
        have_dbname = true;
    }
    if (have_dbname) refuse_password(dbname);
    // dbname first: when it is a connection string, the options that follow override its values.
    if (have_dbname) o.connection.emplace_back("dbname", dbname);
    if (have_host) o.connection.emplace_back("host", host);
    if (have_port) o.connection.emplace_back("port", port);
    if (have_user) o.connection.emplace_back("user", user);

    if (!o.help && !o.version && !o.print_template && o.out.empty() && o.csv_dir.empty() &&
        o.json_path.empty())
        throw UsageError("nothing to write: give --out FILE (and/or --csv DIR, --json FILE)");
    int to_stdout = (o.out == "-") + (o.json_path == "-");
    if (to_stdout > 1)
        throw UsageError("only one of --out and --json can write to standard output");
    return o;
}

} // namespace dmine::report
