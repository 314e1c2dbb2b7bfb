// One-pass group summaries of sales lines (see group_summary.hpp).
#include "explore/group_summary.hpp"

#include "core/interrupt.hpp"
#include "forecast/calendar.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

namespace dmine::explore {

namespace {

constexpr std::int64_t kNoBucket = INT64_MIN;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

forecast::Grain grain_of(GrowthPeriod p) {
    switch (p) {
    case GrowthPeriod::Month:
        return forecast::Grain::Month;
    case GrowthPeriod::Quarter:
        return forecast::Grain::Quarter;
    default:
        return forecast::Grain::Year;
    }
}

std::int32_t start_day(forecast::Grain g, std::int64_t bucket) {
    return static_cast<std::int32_t>(forecast::bucket_start(g, bucket) / forecast::kUsecPerDay);
}

KeyRef int_key(const std::int32_t &v) {
    return KeyRef{reinterpret_cast<const char *>(&v), sizeof v, false};
}

std::string iso_date(std::int32_t day) {
    // Civil date of a day number (from 2000-01-01), Howard Hinnant's algorithm.
    std::int64_t z = std::int64_t(day) + 10957 + 719468;
    std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    std::int64_t doe = z - era * 146097;
    std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    std::int64_t mp = (5 * doy + 2) / 153;
    int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
    int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
    std::int64_t y = yoe + era * 400 + (m <= 2);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04lld-%02d-%02d", static_cast<long long>(y), m, d);
    return buf;
}

} // namespace

std::uint32_t GroupSummary::group_id(int family, const KeyRef &key) {
    auto tag = static_cast<std::uint16_t>(family << 1 | (key.null ? 1 : 0));
    const char *data = key.null ? nullptr : key.data;
    std::size_t size = key.null ? 0 : key.size;
    std::uint32_t memo = memo_group_[family];
    if (memo != UINT32_MAX && groups_.equals(memo, tag, data, size)) return memo;
    std::uint32_t id = memo_group_[family] = groups_.intern(tag, data, size);
    if (id == revenue_.size()) {
        revenue_.push_back(0);
        quantity_.push_back(0);
        lines_.push_back(0);
        for (int w = 0; w < 2; w++) {
            distinct_[w].push_back(0);
            bucket_[w].push_back(kNoBucket);
            bucket_revenue_[w].push_back(0);
        }
    }
    return id;
}

std::uint32_t GroupSummary::key_id(int which, const KeyRef &key) {
    std::uint32_t memo = memo_key_[which];
    if (memo != UINT32_MAX && keys_[which].equals(memo, 0, key.data, key.size)) return memo;
    return memo_key_[which] = keys_[which].intern(0, key.data, key.size);
}

void GroupSummary::count_pair(std::uint32_t g, int which, std::uint32_t key) {
    if (pairs_.insert(std::uint64_t(g) << 32 | std::uint64_t(which) << 31 | key))
        distinct_[which][g]++;
}

// A line's pair: the same as the family's previous line's is already counted.
void GroupSummary::count_line_pair(int family, std::uint32_t g, int which, std::uint32_t key) {
    std::uint64_t pair = std::uint64_t(g) << 32 | std::uint64_t(which) << 31 | key;
    if (memo_pair_[family][which] == pair) return;
    memo_pair_[family][which] = pair;
    if (pairs_.insert(pair)) distinct_[which][g]++;
}

void GroupSummary::add_bucket(std::uint32_t g, std::int64_t b, double revenue) {
    if (b == kNoBucket) return;
    if (b == bucket_[0][g]) {
        bucket_revenue_[0][g] += revenue;
    } else if (b > bucket_[0][g]) {
        bucket_[1][g] = bucket_[0][g];
        bucket_revenue_[1][g] = bucket_revenue_[0][g];
        bucket_[0][g] = b;
        bucket_revenue_[0][g] = revenue;
    } else if (b == bucket_[1][g]) {
        bucket_revenue_[1][g] += revenue;
    } else if (b > bucket_[1][g]) {
        bucket_[1][g] = b;
        bucket_revenue_[1][g] = revenue;
    }
}

void GroupSummary::add_line(std::uint32_t g, double amount, double quantity, std::int64_t bucket,
                            bool) {
    lines_[g]++;
    if (!std::isnan(amount)) revenue_[g] += amount;
    if (!std::isnan(quantity)) quantity_[g] += quantity;
    add_bucket(g, bucket, std::isnan(amount) ? 0.0 : amount);
}

void GroupSummary::add_values(const KeyRef *groups, int count, double amount, double quantity,
                              const KeyRef &customer, const KeyRef &order, std::int32_t day) {
    require_open();
    if (count > kMaxFamilies) fail(ErrorKind::InvalidParameter, "too many groups for one line");
    std::int64_t bucket = kNoBucket;
    if (day != kNoDay) {
        if (day < lo_) lo_ = day;
        if (day > hi_) hi_ = day;
        if (period_ != GrowthPeriod::None)
            bucket = forecast::bucket_of(forecast::TimeKind::Date, grain_of(period_), day);
    }
    std::uint32_t c = customer.null ? UINT32_MAX : key_id(0, customer);
    std::uint32_t o = order.null ? UINT32_MAX : key_id(1, order);
    for (int i = 0; i < count; i++) {
        std::uint32_t g = group_id(i + 1, groups[i]);
        add_line(g, amount, quantity, bucket, day != kNoDay);
        if (c != UINT32_MAX) count_line_pair(i + 1, g, 0, c);
        if (o != UINT32_MAX) count_line_pair(i + 1, g, 1, o);
    }
}

std::uint32_t GroupSummary::calendar_group(int family, std::int32_t key) {
    constexpr std::size_t kSlots = 4096;
    if (calendar_cache_.empty()) calendar_cache_.assign(5 * kSlots, UINT64_MAX);
    std::uint64_t &slot = calendar_cache_[family * kSlots + (std::uint32_t(key) & (kSlots - 1))];
    if (slot != UINT64_MAX && std::uint32_t(slot >> 32) == std::uint32_t(key))
        return static_cast<std::uint32_t>(slot);
    std::uint32_t g = group_id(family, int_key(key));
    slot = std::uint64_t(std::uint32_t(key)) << 32 | g;
    return g;
}

void GroupSummary::add_calendar(std::int32_t day, int hour, double amount, double quantity,
                                const KeyRef &customer, const KeyRef &order) {
    require_open();
    if (day < lo_) lo_ = day;
    if (day > hi_) hi_ = day;
    int isodow = static_cast<int>(((std::int64_t(day) + 5) % 7 + 7) % 7) + 1; // 2000-01-01: 6
    std::int32_t keys[4] = {
        day, day - (isodow - 1),
        start_day(forecast::Grain::Month,
                  forecast::bucket_of(forecast::TimeKind::Date, forecast::Grain::Month, day)),
        isodow * 100 + hour};
    std::uint32_t c = customer.null ? UINT32_MAX : key_id(0, customer);
    std::uint32_t o = order.null ? UINT32_MAX : key_id(1, order);
    int families = hour == kNoHour ? 3 : 4;
    for (int f = 0; f < families; f++) {
        std::uint32_t g = calendar_group(f + 1, keys[f]);
        add_line(g, amount, quantity, kNoBucket, true);
        if (c != UINT32_MAX) count_line_pair(f + 1, g, 0, c);
        if (o != UINT32_MAX) count_line_pair(f + 1, g, 1, o);
    }
}

void GroupSummary::reset_memo() noexcept {
    memo_key_[0] = memo_key_[1] = UINT32_MAX;
    for (int f = 0; f <= kMaxFamilies; f++) {
        memo_group_[f] = UINT32_MAX;
        memo_pair_[f][0] = memo_pair_[f][1] = UINT64_MAX;
    }
}

void GroupSummary::merge(const GroupSummary &other) {
    require_open();
    other.require_open();
    if (other.kind_ != kind_ || other.period_ != period_)
        fail(ErrorKind::InvalidParameter, "cannot merge group summaries of different kinds");
    if (other.lo_ < lo_) lo_ = other.lo_;
    if (other.hi_ > hi_) hi_ = other.hi_;
    StateVector<std::uint32_t> gmap(other.groups());
    for (std::uint32_t i = 0; i < other.groups(); i++) {
        if ((i & 0xffff) == 0xffff) check_interrupts();
        std::string_view b = other.groups_.bytes(i);
        std::uint16_t tag = other.groups_.tag(i);
        KeyRef key{b.data(), b.size(), (tag & 1) != 0};
        std::uint32_t g = gmap[i] = group_id(tag >> 1, key);
        revenue_[g] += other.revenue_[i];
        quantity_[g] += other.quantity_[i];
        lines_[g] += other.lines_[i];
        add_bucket(g, other.bucket_[1][i], other.bucket_revenue_[1][i]);
        add_bucket(g, other.bucket_[0][i], other.bucket_revenue_[0][i]);
    }
    StateVector<std::uint32_t> kmap[2];
    for (int w = 0; w < 2; w++) {
        kmap[w].resize(other.keys_[w].size());
        for (std::uint32_t i = 0; i < other.keys_[w].size(); i++) {
            if ((i & 0xffff) == 0xffff) check_interrupts();
            std::string_view b = other.keys_[w].bytes(i);
            kmap[w][i] = keys_[w].intern(0, b.data(), b.size());
        }
    }
    pairs_.reserve(pairs_.size() + other.pairs_.size());
    std::size_t n = 0;
    other.pairs_.for_each([&](std::uint64_t p) {
        if ((++n & 0xfffff) == 0) check_interrupts();
        int w = static_cast<int>((p >> 31) & 1);
        count_pair(gmap[p >> 32], w, kmap[w][p & 0x7fffffffu]);
    });
}

void GroupSummary::write(ByteWriter &out, bool finished) const {
    out.put<std::uint8_t>(static_cast<std::uint8_t>(kind_));
    out.put<std::uint8_t>(static_cast<std::uint8_t>(period_));
    out.put<std::uint8_t>(finished ? 1 : 0);
    out.put<std::int32_t>(lo_);
    out.put<std::int32_t>(hi_);
    groups_.serialize(out);
    if (!finished) {
        keys_[0].serialize(out);
        keys_[1].serialize(out);
    }
    out.put_vector(revenue_);
    out.put_vector(quantity_);
    out.put_vector(lines_);
    for (int w = 0; w < 2; w++) {
        out.put_vector(bucket_[w]);
        out.put_vector(bucket_revenue_[w]);
    }
    if (finished) {
        out.put_vector(distinct_[0]);
        out.put_vector(distinct_[1]);
        return;
    }
    StateVector<std::uint64_t> pairs;
    pairs.reserve(pairs_.size());
    pairs_.for_each([&](std::uint64_t p) { pairs.push_back(p); });
    out.put_vector(pairs);
}

void GroupSummary::serialize(ByteWriter &out) const {
    write(out, finished_);
}

void GroupSummary::serialize_finished(ByteWriter &out) const {
    write(out, true);
}

void GroupSummary::require_open() const {
    if (finished_)
        fail(ErrorKind::InvalidParameter, "a finished group summary cannot be merged or added to",
             {}, "Merge the partial summaries (the aggregates' states), not their final values.");
}

GroupSummary GroupSummary::deserialize(ByteReader &in) {
    auto kind = in.get<std::uint8_t>();
    auto period = in.get<std::uint8_t>();
    auto finished = in.get<std::uint8_t>();
    if (kind > 1 || period > 3 || finished > 1)
        fail(ErrorKind::Corrupted, "corrupted summary: unknown kind");
    GroupSummary s(static_cast<GroupKind>(kind), static_cast<GrowthPeriod>(period));
    s.finished_ = finished == 1;
    s.lo_ = in.get<std::int32_t>();
    s.hi_ = in.get<std::int32_t>();
    if (!(s.lo_ <= s.hi_ || (s.lo_ == INT32_MAX && s.hi_ == INT32_MIN)))
        fail(ErrorKind::Corrupted, "corrupted summary: day range");
    s.groups_ = KeyDictionary::deserialize(in);
    if (!s.finished_) {
        s.keys_[0] = KeyDictionary::deserialize(in);
        s.keys_[1] = KeyDictionary::deserialize(in);
    }
    std::size_t n = s.groups_.size();
    int max_family = kind == 1 ? 4 : kMaxFamilies;
    for (std::uint32_t i = 0; i < n; i++) {
        int family = s.groups_.tag(i) >> 1;
        if (family < 1 || family > max_family)
            fail(ErrorKind::Corrupted, "corrupted summary: group family out of range");
        if (kind == 1 && ((s.groups_.tag(i) & 1) || s.groups_.bytes(i).size() != 4))
            fail(ErrorKind::Corrupted, "corrupted summary: calendar group");
    }
    s.revenue_ = in.get_vector<double, StateAllocator<double>>(n);
    s.quantity_ = in.get_vector<double, StateAllocator<double>>(n);
    s.lines_ = in.get_vector<std::int64_t, StateAllocator<std::int64_t>>(n);
    for (int w = 0; w < 2; w++) {
        s.bucket_[w] = in.get_vector<std::int64_t, StateAllocator<std::int64_t>>(n);
        s.bucket_revenue_[w] = in.get_vector<double, StateAllocator<double>>(n);
    }
    bool sizes = s.quantity_.size() == n && s.revenue_.size() == n && s.lines_.size() == n;
    for (int w = 0; w < 2; w++)
        sizes = sizes && s.bucket_[w].size() == n && s.bucket_revenue_[w].size() == n;
    if (!sizes) fail(ErrorKind::Corrupted, "corrupted summary: array sizes");
    for (std::size_t i = 0; i < n; i++) {
        if (s.lines_[i] < 0) fail(ErrorKind::Corrupted, "corrupted summary: negative count");
        if (s.bucket_[1][i] != kNoBucket && s.bucket_[1][i] >= s.bucket_[0][i])
            fail(ErrorKind::Corrupted, "corrupted summary: buckets out of order");
    }
    if (s.finished_) {
        for (int w = 0; w < 2; w++) {
            s.distinct_[w] = in.get_vector<std::int64_t, StateAllocator<std::int64_t>>(n);
            if (s.distinct_[w].size() != n)
                fail(ErrorKind::Corrupted, "corrupted summary: array sizes");
            for (std::size_t i = 0; i < n; i++)
                if (s.distinct_[w][i] < 0 || s.distinct_[w][i] > s.lines_[i])
                    fail(ErrorKind::Corrupted, "corrupted summary: distinct count out of range");
        }
        return s;
    }
    for (int w = 0; w < 2; w++) s.distinct_[w].assign(n, 0);
    auto count = in.get<std::uint64_t>();
    if (count > in.remaining() / 8) fail(ErrorKind::Corrupted, "corrupted summary: truncated");
    s.pairs_.reserve(count);
    for (std::uint64_t i = 0; i < count; i++) {
        if ((i & 0xfffff) == 0xfffff) check_interrupts();
        auto p = in.get<std::uint64_t>();
        std::uint64_t g = p >> 32;
        int w = static_cast<int>((p >> 31) & 1);
        if (g >= n || (p & 0x7fffffffu) >= s.keys_[w].size() || !s.pairs_.insert(p))
            fail(ErrorKind::Corrupted, "corrupted summary: distinct pairs");
        s.distinct_[w][g]++;
    }
    return s;
}

namespace {

// The keys of a serialized dictionary, checked, to f(tag, data, size) in order.
template <typename F> void each_serialized_key(ByteReader &in, F &&f) {
    auto arena = in.get_vector<char, StateAllocator<char>>();
    auto ends =
        in.get_vector<std::uint64_t, StateAllocator<std::uint64_t>>(KeyDictionary::kMaxKeys);
    std::uint64_t start = 0;
    for (std::uint64_t end : ends) {
        if (end < start + 2 || end > arena.size())
            fail(ErrorKind::Corrupted, "corrupted summary: key offsets out of order");
        std::uint16_t tag;
        std::memcpy(&tag, arena.data() + start, 2);
        f(tag, arena.data() + start + 2, static_cast<std::size_t>(end - start - 2));
        start = end;
    }
    if (start != arena.size()) fail(ErrorKind::Corrupted, "corrupted summary: stray key bytes");
}

} // namespace

void GroupSummary::merge_serialized(ByteReader &in) {
    require_open();
    auto kind = in.get<std::uint8_t>();
    auto period = in.get<std::uint8_t>();
    auto finished = in.get<std::uint8_t>();
    if (finished == 1)
        fail(ErrorKind::InvalidParameter, "a finished group summary cannot be merged or added to");
    if (kind != static_cast<std::uint8_t>(kind_) || period != static_cast<std::uint8_t>(period_) ||
        finished > 1)
        fail(ErrorKind::Corrupted, "corrupted summary: another kind of summary");
    auto lo = in.get<std::int32_t>();
    auto hi = in.get<std::int32_t>();
    if (!(lo <= hi || (lo == INT32_MAX && hi == INT32_MIN)))
        fail(ErrorKind::Corrupted, "corrupted summary: day range");
    if (lo < lo_) lo_ = lo;
    if (hi > hi_) hi_ = hi;
    int max_family = kind == 1 ? 4 : kMaxFamilies;
    StateVector<std::uint32_t> gmap;
    each_serialized_key(in, [&](std::uint16_t tag, const char *data, std::size_t size) {
        int family = tag >> 1;
        if (family < 1 || family > max_family || (kind == 1 && ((tag & 1) || size != 4)))
            fail(ErrorKind::Corrupted, "corrupted summary: group out of range");
        if ((gmap.size() & 0xffff) == 0xffff) check_interrupts();
        gmap.push_back(group_id(family, KeyRef{data, size, (tag & 1) != 0}));
    });
    StateVector<std::uint32_t> kmap[2];
    for (int w = 0; w < 2; w++)
        each_serialized_key(in, [&](std::uint16_t tag, const char *data, std::size_t size) {
            if (tag != 0) fail(ErrorKind::Corrupted, "corrupted summary: key tag");
            kmap[w].push_back(keys_[w].intern(0, data, size));
        });
    std::size_t n = gmap.size();
    auto revenue = in.get_vector<double, StateAllocator<double>>(n);
    auto quantity = in.get_vector<double, StateAllocator<double>>(n);
    auto lines = in.get_vector<std::int64_t, StateAllocator<std::int64_t>>(n);
    StateVector<std::int64_t> bucket[2];
    StateVector<double> bucket_revenue[2];
    for (int w = 0; w < 2; w++) {
        bucket[w] = in.get_vector<std::int64_t, StateAllocator<std::int64_t>>(n);
        bucket_revenue[w] = in.get_vector<double, StateAllocator<double>>(n);
    }
    bool sizes = revenue.size() == n && quantity.size() == n && lines.size() == n;
    for (int w = 0; w < 2; w++)
        sizes = sizes && bucket[w].size() == n && bucket_revenue[w].size() == n;
    if (!sizes) fail(ErrorKind::Corrupted, "corrupted summary: array sizes");
    for (std::size_t i = 0; i < n; i++) {
        if (lines[i] < 0) fail(ErrorKind::Corrupted, "corrupted summary: negative count");
        if (bucket[1][i] != kNoBucket && bucket[1][i] >= bucket[0][i])
            fail(ErrorKind::Corrupted, "corrupted summary: buckets out of order");
        std::uint32_t g = gmap[i];
        revenue_[g] += revenue[i];
        quantity_[g] += quantity[i];
        lines_[g] += lines[i];
        add_bucket(g, bucket[1][i], bucket_revenue[1][i]);
        add_bucket(g, bucket[0][i], bucket_revenue[0][i]);
    }
    auto count = in.get<std::uint64_t>();
    if (count > in.remaining() / 8) fail(ErrorKind::Corrupted, "corrupted summary: truncated");
    pairs_.reserve(pairs_.size() + count);
    for (std::uint64_t i = 0; i < count; i++) {
        if ((i & 0xfffff) == 0xfffff) check_interrupts();
        auto p = in.get<std::uint64_t>();
        std::uint64_t g = p >> 32;
        int w = static_cast<int>((p >> 31) & 1);
        std::uint64_t k = p & 0x7fffffffu;
        if (g >= n || k >= kmap[w].size())
            fail(ErrorKind::Corrupted, "corrupted summary: distinct pairs");
        count_pair(gmap[g], w, kmap[w][k]);
    }
}

double GroupSummary::growth_of(std::uint32_t g) const {
    if (period_ == GrowthPeriod::None || hi_ == INT32_MIN) return kNaN;
    forecast::Grain grain = grain_of(period_);
    std::int64_t last = forecast::bucket_of(forecast::TimeKind::Date, grain, hi_);
    std::int32_t last_start = start_day(grain, last);
    std::int32_t prev_start = start_day(grain, last - 1);
    std::int32_t days_last = hi_ - last_start + 1;
    std::int32_t days_prev = last_start - (lo_ > prev_start ? lo_ : prev_start);
    if (days_prev <= 0) return kNaN;
    double sum_last = 0, sum_prev = kNaN;
    for (int w = 0; w < 2; w++) {
        if (bucket_[w][g] == last) sum_last = bucket_revenue_[w][g];
        if (bucket_[w][g] == last - 1) sum_prev = bucket_revenue_[w][g];
    }
    double rev_prev = sum_prev / days_prev;
    if (std::isnan(rev_prev) || rev_prev == 0) return kNaN;
    return sum_last / days_last / rev_prev - 1;
}

std::vector<GroupRow> GroupSummary::rows() const {
    std::vector<GroupRow> rows;
    rows.reserve(groups());
    for (std::uint32_t g = 0; g < groups(); g++) {
        if ((g & 0xffff) == 0xffff) check_interrupts();
        GroupRow r;
        std::uint16_t tag = groups_.tag(g);
        r.family = tag >> 1;
        r.null_key = (tag & 1) != 0;
        std::string_view b = groups_.bytes(g);
        if (kind_ == GroupKind::Calendar) {
            std::int32_t v;
            std::memcpy(&v, b.data(), 4);
            r.key = r.family == 4 ? std::to_string(v) : iso_date(v);
        } else {
            r.key.assign(b.data(), b.size());
        }
        r.revenue = revenue_[g];
        r.lines = lines_[g];
        r.quantity = quantity_[g];
        r.customers = distinct_[0][g];
        r.orders = distinct_[1][g];
        r.growth = growth_of(g);
        rows.push_back(std::move(r));
    }
    return rows;
}

} // namespace dmine::explore
