// K-Means model: binary and JSON forms, validation, nearest centroid.
#include "kmeans/kmeans_model.hpp"

#include "core/json_input.hpp"
#include "kmeans/kmeans_distance.hpp"
#include "kmeans/kmeans_wide.hpp"
#include "core/model_format.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>
#include <set>

namespace dmine::kmeans {
namespace {

using Json = nlohmann::ordered_json;
constexpr const char *kTypeName = "dmine.kmeans_model";
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr const char *kTextHint =
    "Use a value produced by dm_kmeans(); its text form is a JSON object.";

bool all_finite(const std::vector<double> &v) {
    for (double x : v)
        if (!std::isfinite(x)) return false;
    return true;
}

bool all_nonnegative(const std::vector<double> &v) {
    for (double x : v)
        if (!(x >= 0)) return false;
    return true;
}

bool valid_silhouette(double s) {
    return std::isnan(s) || (s >= -1 && s <= 1);
}

void check(bool ok, ErrorKind kind, const std::string &what) {
    if (!ok) {
        const char *prefix =
            kind == ErrorKind::Corrupted ? "corrupted kmeans model: " : "invalid kmeans model: ";
        fail(kind, prefix + what);
    }
}

Json number_or_null(double x) {
    return std::isnan(x) ? Json(nullptr) : Json(x);
}

// Field access for from_json: every key must be known and present, with the right type.
class Fields {
public:
    Fields(const Json &object, std::string where) : object_(object), where_(std::move(where)) {
        if (!object.is_object()) bad(where_, "must be a JSON object");
    }
    [[noreturn]] static void bad(const std::string &field, const std::string &what) {
        fail(ErrorKind::InvalidText, "invalid kmeans model text: " + field + " " + what, {},
             kTextHint);
    }
    const Json &at(const char *key) {
        used_.insert(key);
        auto it = object_.find(key);
        if (it == object_.end()) bad(name(key), "is missing");
        return *it;
    }
    std::string name(const char *key) const {
        return where_.empty() ? std::string("\"") + key + "\"" : where_ + "." + key;
    }
    template <typename T> T integer(const char *key, std::uint64_t hi) {
        const Json &v = at(key);
        if (!v.is_number_unsigned() || v.get<std::uint64_t>() > hi)
            bad(name(key), "must be an integer between 0 and " + std::to_string(hi));
        return static_cast<T>(v.get<std::uint64_t>());
    }
    double number(const char *key, bool nullable = false) {
        const Json &v = at(key);
        if (nullable && v.is_null()) return kNaN;
        if (!v.is_number())
            bad(name(key), nullable ? "must be a number or null" : "must be a number");
        return v.get<double>();
    }
    bool boolean(const char *key) {
        const Json &v = at(key);
        if (!v.is_boolean()) bad(name(key), "must be true or false");
        return v.get<bool>();
    }
    std::vector<double> numbers(const char *key, std::size_t count) {
        return number_array(at(key), name(key), count);
    }
    static std::vector<double> number_array(const Json &v, const std::string &field,
                                            std::size_t count) {
        if (!v.is_array() || v.size() != count)
            bad(field, "must be an array of " + std::to_string(count) + " numbers");
        std::vector<double> out;
        out.reserve(count);
        for (const Json &x : v) {
            if (!x.is_number()) bad(field, "must contain only numbers");
            out.push_back(x.get<double>());
        }
        return out;
    }
    void no_other_keys() const {
        for (const auto &item : object_.items())
            if (!used_.count(item.key())) bad(name(item.key().c_str()), "is not a known field");
    }

private:
    const Json &object_;
    std::string where_;
    std::set<std::string> used_;
};

void read_scaling(Fields &top, Model &m, bool &enabled) {
    Fields s(top.at("scaling"), "\"scaling\"");
    enabled = s.boolean("enabled");
    m.mean = s.numbers("mean", m.dim);
    m.sd = s.numbers("sd", m.dim);
    s.no_other_keys();
}

void read_centroids(Fields &top, Model &m) {
    const Json &v = top.at("centroids");
    if (!v.is_array() || v.size() != static_cast<std::size_t>(m.k))
        Fields::bad("\"centroids\"", "must be an array of k = " + std::to_string(m.k) + " arrays");
    for (std::size_t c = 0; c < v.size(); c++) {
        auto row = Fields::number_array(v[c], "\"centroids\"[" + std::to_string(c) + "]", m.dim);
        m.centroids.insert(m.centroids.end(), row.begin(), row.end());
    }
}

void read_scores(Fields &top, Model &m) {
    const Json &v = top.at("scores");
    if (!v.is_array()) Fields::bad("\"scores\"", "must be an array");
    for (std::size_t i = 0; i < v.size(); i++) {
        Fields f(v[i], "\"scores\"[" + std::to_string(i) + "]");
        Score s;
        s.k = f.integer<std::int32_t>("k", Model::kMaxK);
        s.inertia = f.number("inertia");
        s.silhouette = f.number("silhouette", true);
        f.no_other_keys();
        m.scores.push_back(s);
    }
}

// The model in a parsed text form, every field checked.
Model model_from_json(const Json &j) {
    Fields f(j, "");
    const Json &type = f.at("type");
    if (!type.is_string() || type.get<std::string>() != kTypeName)
        Fields::bad("\"type\"", std::string("must be \"") + kTypeName + "\"");
    auto version = f.integer<std::uint32_t>("version", 65535);
    if (version < 1 || version > Model::kVersion)
        fail(ErrorKind::InvalidText, "unsupported kmeans model version " + std::to_string(version),
             "This build reads version 1 to " + std::to_string(Model::kVersion) + ".");
    Model m;
    m.k = f.integer<std::int32_t>("k", Model::kMaxK);
    m.dim = f.integer<std::int32_t>("dim", Model::kMaxDim);
    if (m.k < 1 || m.dim < 1) Fields::bad("\"k\" and \"dim\"", "must be at least 1");
    m.rows = f.integer<std::uint64_t>("rows", Model::kMaxCount);
    m.nulls = f.integer<std::uint64_t>("nulls_skipped", Model::kMaxCount);
    m.points_used = f.integer<std::uint64_t>("points_used", Model::kMaxCount);
    bool sampled = f.boolean("sampled");
    double inertia = f.number("inertia");
    m.silhouette = f.number("silhouette", true);
    m.iterations = f.integer<std::uint32_t>("iterations", UINT32_MAX);
    m.converged = f.boolean("converged");
    m.refinements = f.integer<std::uint32_t>("refinements", UINT32_MAX);
    read_centroids(f, m);
    m.sizes = f.numbers("cluster_sizes", m.k);
    m.sse = f.numbers("cluster_sse", m.k);
    bool scaling_enabled = false;
    read_scaling(f, m, scaling_enabled);
    read_scores(f, m);
    try {
        m.options = options_from_json(f.at("options"), ErrorKind::InvalidText);
    } catch (const Error &e) {
        Fields::bad("\"options\"", std::string("are invalid: ") + e.what());
    }
    f.no_other_keys();
    m.validate(ErrorKind::InvalidText);
    if (scaling_enabled != m.options.scale)
        Fields::bad("\"scaling\".enabled", "must equal \"options\".scale");
    if (sampled != m.sampled())
        Fields::bad("\"sampled\"", "must be true exactly when points_used < rows");
    if (inertia != m.inertia()) Fields::bad("\"inertia\"", "must be the sum of cluster_sse");
    m.prepare();
    return m;
}

} // namespace

double Model::inertia() const {
    double total = 0;
    for (double s : sse) total += s;
    return total;
}

// The invariants of a model, checked on every decoded value (text and binary) and on every
// fitted one:
//  - shape: 1 <= k <= kMaxK, 1 <= dim <= kMaxDim, k * dim <= 10^8; mean, sd: dim values;
//    centroids: k * dim; cluster sizes, cluster SSE: k; 1..100000 scores;
//  - counts: rows, nulls_skipped, points_used and rows + nulls_skipped representable as bigint;
//    1 <= points_used <= rows;
//  - figures: all finite; sd, sizes and SSE >= 0; every cluster size <= rows (within 1e-6
//    relative) and < 2^63, the sizes adding up to rows (within 1e-6 relative), their SSE to a
//    finite inertia; silhouettes NaN or within [-1, 1];
//  - scores: ascending k, one for the model's k, finite inertia >= 0;
//  - options: within their documented ranges.
void Model::validate(ErrorKind kind) const {
    validate_shape(kind);
    validate_counts(kind);
    validate_figures(kind);
    validate_scores(kind);
    try {
        dmine::kmeans::validate(options, kind);
    } catch (const Error &e) {
        check(false, kind, e.what());
    }
}

void Model::validate_shape(ErrorKind kind) const {
    check(k >= 1 && k <= kMaxK, kind, "k out of range");
    check(dim >= 1 && dim <= kMaxDim, kind, "dimension out of range");
    check(static_cast<std::uint64_t>(k) * dim <= 100000000ull, kind, "too many centroid values");
    auto kd = static_cast<std::size_t>(k) * dim;
    check(mean.size() == std::size_t(dim) && sd.size() == std::size_t(dim), kind,
          "scaling has the wrong length");
    check(centroids.size() == kd, kind, "centroids have the wrong size");
    check(sizes.size() == std::size_t(k) && sse.size() == std::size_t(k), kind,
          "cluster sizes or SSE have the wrong length");
    check(!scores.empty() && scores.size() <= kMaxScores, kind,
          "scores must hold 1 to " + std::to_string(kMaxScores) + " entries");
}

void Model::validate_counts(ErrorKind kind) const {
    check(rows <= kMaxCount && nulls <= kMaxCount && points_used <= kMaxCount &&
              rows + nulls <= kMaxCount,
          kind, "row counts must be representable as bigint");
    check(rows >= 1 && points_used >= 1 && points_used <= rows, kind,
          "row counts are inconsistent");
}

void Model::validate_figures(ErrorKind kind) const {
    check(all_finite(mean) && all_finite(sd) && all_nonnegative(sd), kind,
          "scaling must hold finite numbers and non-negative standard deviations");
    // A tiny sd (down to 5e-324) is valid: distances that leave the double range once scaled
    // are computed in long double (kmeans_wide.hpp).
    check(all_finite(centroids), kind, "centroids must be finite");
    check(all_finite(sizes) && all_nonnegative(sizes), kind,
          "cluster sizes must be finite and non-negative");
    auto row_count = static_cast<double>(rows);
    double total = 0;
    for (double s : sizes) {
        check(s <= row_count * (1 + 1e-6) && s < 0x1p63, kind, "a cluster size exceeds the rows");
        total += s;
    }
    check(std::fabs(total - row_count) <= 1e-6 * row_count, kind,
          "cluster sizes do not add up to the rows");
    check(all_finite(sse) && all_nonnegative(sse) && std::isfinite(inertia()), kind,
          "cluster SSE must be finite and non-negative, with a finite sum");
    check(valid_silhouette(silhouette), kind, "silhouette must be within [-1, 1]");
}

void Model::validate_scores(ErrorKind kind) const {
    bool has_k = false;
    for (std::size_t i = 0; i < scores.size(); i++) {
        const Score &s = scores[i];
        check(s.k >= 1 && s.k <= kMaxK && (i == 0 || s.k > scores[i - 1].k), kind,
              "scores must have ascending k");
        check(std::isfinite(s.inertia) && s.inertia >= 0 && valid_silhouette(s.silhouette), kind,
              "scores must hold an inertia >= 0 and a silhouette within [-1, 1]");
        has_k = has_k || s.k == k;
    }
    check(has_k, kind, "scores do not include the model's k");
}

void Model::prepare() {
    inv_scale2.resize(dim);
    inv_scale.resize(dim);
    for (int j = 0; j < dim; j++) {
        inv_scale[j] = 1.0 / scale(j);
        inv_scale2[j] = 1.0 / (scale(j) * scale(j));
    }
    scaled_centroids.resize(centroids.size());
    for (std::size_t i = 0; i < centroids.size(); i++)
        scaled_centroids[i] = centroids[i] * inv_scale[i % dim];
}

std::vector<std::uint8_t> Model::encode() const {
    ByteWriter out;
    out.put<std::int32_t>(k);
    out.put<std::int32_t>(dim);
    out.put<std::uint32_t>(iterations);
    out.put<std::uint32_t>(refinements);
    out.put<std::uint8_t>(converged ? 1 : 0);
    out.put<std::uint64_t>(rows);
    out.put<std::uint64_t>(nulls);
    out.put<std::uint64_t>(points_used);
    out.put<double>(silhouette);
    out.put_vector(mean);
    out.put_vector(sd);
    out.put_vector(centroids);
    out.put_vector(sizes);
    out.put_vector(sse);
    out.put<std::uint64_t>(scores.size());
    for (const Score &s : scores) {
        out.put<std::int32_t>(s.k);
        out.put<double>(s.inertia);
        out.put<double>(s.silhouette);
    }
    out.put<std::int32_t>(options.max_iter);
    out.put<double>(options.tol);
    out.put<std::int32_t>(options.n_init);
    out.put<std::uint64_t>(options.seed);
    out.put<std::uint8_t>(options.scale ? 1 : 0);
    out.put<std::uint64_t>(options.sample_size);
    out.put<std::uint32_t>(options.silhouette_sample);
    out.put<std::int32_t>(options.swap_trials);
    return seal_model(kMagic, kVersion, out.bytes());
}

Model Model::decode(const void *data, std::size_t size) {
    auto opened = open_model(data, size, kMagic, kVersion, "kmeans model");
    ByteReader &in = opened.payload;
    auto flag = [&in]() {
        auto b = in.get<std::uint8_t>();
        check(b <= 1, ErrorKind::Corrupted, "invalid flag");
        return b == 1;
    };
    Model m;
    m.k = in.get<std::int32_t>();
    m.dim = in.get<std::int32_t>();
    m.iterations = in.get<std::uint32_t>();
    m.refinements = in.get<std::uint32_t>();
    m.converged = flag();
    m.rows = in.get<std::uint64_t>();
    m.nulls = in.get<std::uint64_t>();
    m.points_used = in.get<std::uint64_t>();
    m.silhouette = in.get<double>();
    m.mean = in.get_vector<double>(kMaxDim);
    m.sd = in.get_vector<double>(kMaxDim);
    m.centroids = in.get_vector<double>();
    m.sizes = in.get_vector<double>(kMaxK);
    m.sse = in.get_vector<double>(kMaxK);
    auto count = in.get<std::uint64_t>();
    check(count <= kMaxScores && count <= in.remaining() / 20, ErrorKind::Corrupted,
          "too many scores");
    for (std::uint64_t i = 0; i < count; i++) {
        Score s;
        s.k = in.get<std::int32_t>();
        s.inertia = in.get<double>();
        s.silhouette = in.get<double>();
        m.scores.push_back(s);
    }
    m.options.max_iter = in.get<std::int32_t>();
    m.options.tol = in.get<double>();
    m.options.n_init = in.get<std::int32_t>();
    m.options.seed = in.get<std::uint64_t>();
    m.options.scale = flag();
    m.options.sample_size = in.get<std::uint64_t>();
    m.options.silhouette_sample = in.get<std::uint32_t>();
    m.options.swap_trials = in.get<std::int32_t>();
    in.expect_end();
    m.validate(ErrorKind::Corrupted);
    m.prepare();
    return m;
}

std::string Model::to_json() const {
    Json centroid_rows = Json::array();
    for (int c = 0; c < k; c++)
        centroid_rows.push_back(std::vector<double>(centroids.begin() + std::size_t(c) * dim,
                                                    centroids.begin() + std::size_t(c + 1) * dim));
    Json score_list = Json::array();
    for (const Score &s : scores)
        score_list.push_back(
            Json{{"k", s.k}, {"inertia", s.inertia}, {"silhouette", number_or_null(s.silhouette)}});
    Json j = {{"type", kTypeName},
              {"version", kVersion},
              {"k", k},
              {"dim", dim},
              {"rows", rows},
              {"nulls_skipped", nulls},
              {"points_used", points_used},
              {"sampled", sampled()},
              {"inertia", inertia()},
              {"silhouette", number_or_null(silhouette)},
              {"iterations", iterations},
              {"converged", converged},
              {"refinements", refinements},
              {"centroids", centroid_rows},
              {"cluster_sizes", sizes},
              {"cluster_sse", sse},
              {"scaling", Json{{"enabled", options.scale}, {"mean", mean}, {"sd", sd}}},
              {"scores", score_list},
              {"options", options_to_json(options)}};
    return j.dump();
}

Model Model::from_json(std::string_view text) {
    Json j = json_input::parse_ordered(text, ErrorKind::InvalidText,
                                       "invalid kmeans model text: ", kTextHint);
    return json_input::guarded(ErrorKind::InvalidText,
                               "invalid kmeans model text: ", [&j] { return model_from_json(j); });
}

void Model::check_features(const double *x, int n) const {
    if (n != dim)
        fail(ErrorKind::DimensionMismatch, "feature array does not match the model",
             "The model has " + std::to_string(dim) + " features, the array has " +
                 std::to_string(n) + " elements.");
    for (int j = 0; j < n; j++)
        if (!std::isfinite(x[j]))
            fail(ErrorKind::Data, "features must be finite numbers",
                 "Element " + std::to_string(j + 1) + " is " +
                     (std::isnan(x[j]) ? "NaN" : "infinite") + ".");
}

std::pair<int, double> Model::nearest(const double *x, int n) const {
    if (n != dim) check_features(x, n);
    // Scale the row once, then plain squared distances to the scaled centroids.
    double stack[16];
    std::vector<double> heap(dim > 16 ? dim : 0);
    double *z = dim > 16 ? heap.data() : stack;
    for (int j = 0; j < dim; j++) z[j] = x[j] * inv_scale[j];
    int best = 0;
    double best_d = std::numeric_limits<double>::infinity();
    bool overflow = false; // a distance left the double range: the fast path cannot rank it
    for (int c = 0; c < k; c++) {
        double s = sqdist(z, scaled_centroids.data() + std::size_t(c) * dim, dim);
        overflow = overflow || !(s <= std::numeric_limits<double>::max());
        if (s < best_d) {
            best_d = s;
            best = c;
        }
    }
    if (overflow) {
        check_features(x, n);          // NaN or infinity in x: say which
        return wide_nearest(*this, x); // else beyond the range of the fast path
    }
    return {best, std::sqrt(best_d)};
}

double Model::distance(const double *x, int n, int cluster) const {
    check_features(x, n);
    if (cluster < 0 || cluster >= k)
        fail(ErrorKind::InvalidParameter, "cluster out of range",
             "Clusters are numbered 1 to " + std::to_string(k) + ".");
    const double *cc = centroids.data() + std::size_t(cluster) * dim;
    double s = 0;
    bool plain = true; // 1 / scale^2 neither overflowed nor underflowed
    for (int j = 0; j < dim; j++) {
        s += (x[j] - cc[j]) * (x[j] - cc[j]) * inv_scale2[j];
        plain = plain && std::isnormal(inv_scale2[j]);
    }
    if (!plain || !std::isfinite(s))
        return static_cast<double>(std::sqrt(wide_squared_distance(*this, x, cluster)));
    return std::sqrt(s);
}

} // namespace dmine::kmeans
