// A structural check of jsonb bytes read from a stored or transferred state, before PostgreSQL
// reads them as jsonb (garbage bytes would make jsonb_out read out of bounds).
#pragma once

#include <cstddef>

namespace dmine::pg {

// True when data[0, size) is a well-formed jsonb root container (bounds, types, nesting, numerics,
// strings valid in the database encoding).
bool jsonb_bytes_valid(const char *data, std::size_t size);

} // namespace dmine::pg
