#include "db.hpp"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace dmine::report {

namespace {

struct ResultCloser {
    void operator()(PGresult *r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultCloser>;

// libpq's messages end with a newline and may span lines; the tool prints one line.
std::string one_line(std::string s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    for (char &c : s)
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    return s;
}

[[noreturn]] void throw_result_error(PGconn *conn, PGresult *res) {
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    std::string message = primary ? primary : PQerrorMessage(conn);
    throw QueryError(one_line(message), state ? state : "");
}

const Cell kNull;

} // namespace

int Rows::index(const std::string &column) const {
    for (size_t i = 0; i < columns_.size(); ++i)
        if (columns_[i] == column) return static_cast<int>(i);
    return -1;
}

const Cell &Rows::cell(size_t r, const std::string &column) const {
    int i = index(column);
    if (i < 0 || r >= rows_.size()) return kNull;
    return rows_[r][static_cast<size_t>(i)];
}

std::optional<double> parse_number(const std::string &text) {
    if (text == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (text == "Infinity") return std::numeric_limits<double>::infinity();
    if (text == "-Infinity") return -std::numeric_limits<double>::infinity();
    if (text.empty()) return std::nullopt;
    char *end = nullptr;
    errno = 0;
    double v = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size()) return std::nullopt;
    return v;
}

std::optional<double> Rows::number(size_t r, const std::string &column) const {
    const Cell &c = cell(r, column);
    if (!c) return std::nullopt;
    auto v = parse_number(*c);
    if (v && std::isnan(*v)) return std::nullopt;
    return v;
}

std::optional<int64_t> Rows::integer(size_t r, const std::string &column) const {
    const Cell &c = cell(r, column);
    if (!c || c->empty()) return std::nullopt;
    char *end = nullptr;
    long long v = std::strtoll(c->c_str(), &end, 10);
    if (end != c->c_str() + c->size()) {
        // A numeric column read where an integer was expected ("12.0").
        auto d = parse_number(*c);
        if (!d || !std::isfinite(*d)) return std::nullopt;
        return static_cast<int64_t>(std::llround(*d));
    }
    return static_cast<int64_t>(v);
}

std::optional<bool> Rows::boolean(size_t r, const std::string &column) const {
    const Cell &c = cell(r, column);
    if (!c) return std::nullopt;
    if (*c == "t" || *c == "true") return true;
    if (*c == "f" || *c == "false") return false;
    return std::nullopt;
}

Connection::Connection(const std::vector<std::pair<std::string, std::string>> &params) {
    std::vector<const char *> keys, values;
    for (const auto &[k, v] : params) {
        keys.push_back(k.c_str());
        values.push_back(v.c_str());
    }
    keys.push_back("fallback_application_name");
    values.push_back("dmine-report");
    keys.push_back(nullptr);
    values.push_back(nullptr);
    conn_.reset(PQconnectdbParams(keys.data(), values.data(), 1));
    if (!conn_) throw Error("cannot connect: out of memory");
    if (PQstatus(conn_.get()) != CONNECTION_OK)
        throw Error("cannot connect to the database: " + one_line(PQerrorMessage(conn_.get())));
    // Reports show numbers as the server stores them and times in the session's zone.
    Result r(PQexec(conn_.get(), "SET extra_float_digits = 1; SET datestyle = 'ISO, YMD'; "
                                 "SET default_transaction_read_only = on"));
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) throw_result_error(conn_.get(), r.get());
}

Rows Connection::query(const std::string &sql, const std::vector<Cell> &params) {
    std::vector<const char *> values;
    values.reserve(params.size());
    for (const auto &p : params) values.push_back(p ? p->c_str() : nullptr);
    Result res(PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(params.size()), nullptr,
                            values.data(), nullptr, nullptr, 0));
    if (!res || PQresultStatus(res.get()) != PGRES_TUPLES_OK)
        throw_result_error(conn_.get(), res.get());
    int nf = PQnfields(res.get()), nt = PQntuples(res.get());
    std::vector<std::string> columns;
    for (int f = 0; f < nf; ++f) columns.emplace_back(PQfname(res.get(), f));
    std::vector<std::vector<Cell>> rows;
    rows.reserve(static_cast<size_t>(nt));
    for (int t = 0; t < nt; ++t) {
        std::vector<Cell> row;
        row.reserve(static_cast<size_t>(nf));
        for (int f = 0; f < nf; ++f) {
            if (PQgetisnull(res.get(), t, f))
                row.emplace_back(std::nullopt);
            else
                row.emplace_back(std::string(PQgetvalue(res.get(), t, f),
                                             static_cast<size_t>(PQgetlength(res.get(), t, f))));
        }
        rows.push_back(std::move(row));
    }
    return Rows(std::move(columns), std::move(rows));
}

size_t Connection::copy_out(const std::string &copy_sql,
                            const std::function<void(const char *, size_t)> &sink) {
    Result res(PQexec(conn_.get(), copy_sql.c_str()));
    if (!res || PQresultStatus(res.get()) != PGRES_COPY_OUT)
        throw_result_error(conn_.get(), res.get());
    size_t total = 0;
    for (;;) {
        char *buf = nullptr;
        int n = PQgetCopyData(conn_.get(), &buf, 0);
        if (n > 0) {
            try {
                sink(buf, static_cast<size_t>(n));
            } catch (...) {
                PQfreemem(buf);
                throw;
            }
            total += static_cast<size_t>(n);
            PQfreemem(buf);
        } else if (n == -1) {
            break;
        } else {
            throw Error("COPY failed: " + one_line(PQerrorMessage(conn_.get())));
        }
    }
    Result done(PQgetResult(conn_.get()));
    if (!done || PQresultStatus(done.get()) != PGRES_COMMAND_OK)
        throw_result_error(conn_.get(), done.get());
    // Drain anything left so that the connection is ready for the next command.
    while (PGresult *extra = PQgetResult(conn_.get())) PQclear(extra);
    return total;
}

std::string Connection::parameter(const char *name) const {
    const char *v = PQparameterStatus(conn_.get(), name);
    return v ? v : "";
}

std::string Connection::database() const {
    return PQdb(conn_.get());
}

std::string Connection::host() const {
    const char *h = PQhost(conn_.get());
    return h ? h : "";
}

std::string quote_ident(const std::string &name) {
    bool plain =
        !name.empty() && (std::islower(static_cast<unsigned char>(name[0])) || name[0] == '_');
    for (char c : name)
        if (!(std::islower(static_cast<unsigned char>(c)) ||
              std::isdigit(static_cast<unsigned char>(c)) || c == '_'))
            plain = false;
    if (plain) return name;
    std::string out = "\"";
    for (char c : name) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

} // namespace dmine::report
