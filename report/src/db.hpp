// A small RAII wrapper over libpq: a connection, query results as text cells, COPY TO STDOUT.
#pragma once

#include <libpq-fe.h>

#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace dmine::report {

// A failure the tool reports as one line on stderr.
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A query failed on the server; sqlstate is the five-character SQLSTATE ("" when unknown).
class QueryError : public Error {
public:
    QueryError(const std::string &message, std::string sqlstate)
        : Error(message), sqlstate_(std::move(sqlstate)) {}
    const std::string &sqlstate() const { return sqlstate_; }

private:
    std::string sqlstate_;
};

using Cell = std::optional<std::string>;

// The rows of a query as text (NULL is std::nullopt), with column lookup by name.
class Rows {
public:
    Rows() = default;
    Rows(std::vector<std::string> columns, std::vector<std::vector<Cell>> rows)
        : columns_(std::move(columns)), rows_(std::move(rows)) {}

    size_t size() const { return rows_.size(); }
    bool empty() const { return rows_.empty(); }
    const std::vector<std::string> &columns() const { return columns_; }
    bool has(const std::string &column) const { return index(column) >= 0; }
    int index(const std::string &column) const;

    // The cell in row r, column `column`; nullopt when the value is NULL or the column is absent.
    const Cell &cell(size_t r, const std::string &column) const;
    std::optional<std::string> text(size_t r, const std::string &column) const {
        return cell(r, column);
    }
    std::optional<double> number(size_t r, const std::string &column) const;
    std::optional<int64_t> integer(size_t r, const std::string &column) const;
    std::optional<bool> boolean(size_t r, const std::string &column) const;

    void add_row(std::vector<Cell> row) { rows_.push_back(std::move(row)); }

private:
    std::vector<std::string> columns_;
    std::vector<std::vector<Cell>> rows_;
};

// Parses PostgreSQL's text output of float8 ("NaN", "Infinity", "1.5e+10").
std::optional<double> parse_number(const std::string &text);

class Connection {
public:
    // Connection parameters as libpq keywords, in order; a "dbname" value may be a whole
    // connection string or URI (expanded in place, later keywords override it). Whatever is not
    // given comes from the PG* variables, the service file and .pgpass. Throws Error with libpq's
    // message on failure.
    explicit Connection(const std::vector<std::pair<std::string, std::string>> &params);

    Rows query(const std::string &sql, const std::vector<Cell> &params = {});

    // COPY (...) TO STDOUT: hands each chunk of output to sink; returns the bytes copied.
    size_t copy_out(const std::string &copy_sql,
                    const std::function<void(const char *, size_t)> &sink);

    std::string parameter(const char *name) const;
    std::string database() const;
    std::string host() const;

private:
    struct Closer {
        void operator()(PGconn *c) const { PQfinish(c); }
    };
    std::unique_ptr<PGconn, Closer> conn_;
};

// "dmine.result_profile" → "dmine.result_profile" quoted as needed.
std::string quote_ident(const std::string &name);

} // namespace dmine::report
