#pragma once
// RAND() in replicated SQL.
//
// A log entry's statements must compute the same values on every node and on both engines, so
// RAND() is not evaluated by the engine. Before a statement runs, each RAND() occurrence in it
// is replaced by a double literal derived from the entry's seed, the statement's position in
// the batch and the occurrence's position in the statement:
//
//     x = splitmix64(seed ^ splitmix64(statement_index * 2^32 + occurrence_index))
//     value = (x >> 11) * 2^-53              (53 random bits: a double in [0, 1))
//
// where splitmix64(z) is Vigna's finaliser: z += 0x9e3779b97f4a7c15;
// z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9; z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
// return z ^ (z >> 31). The literal is written with 17 significant digits and an exponent
// ("5.1234567890123457e-01"), which both engines read as the same IEEE double (MySQL reads a
// literal without exponent as DECIMAL, which would change arithmetic on it).
//
// Consequence, documented for users: RAND() is one value per occurrence per statement, not per
// row. Rows are not visited in the same order by both engines, so per-row values could not
// agree anyway. RAND(N) with a seed argument is refused by the dialect.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace orcraft::backend::dialect {

std::uint64_t splitmix64(std::uint64_t z);

// The value of occurrence `occurrence` of RAND() in statement `statement` of a batch.
double rand_value(std::uint64_t seed, std::size_t statement, std::size_t occurrence);

// The literal text written in place of that occurrence.
std::string rand_literal(std::uint64_t seed, std::size_t statement, std::size_t occurrence);

// Returns sql with every RAND() (any case, whitespace allowed before and inside the
// parentheses) replaced by its literal; everything else is kept byte for byte. Text without
// RAND() is returned unchanged. Throws DialectError if the statement does not tokenize; text
// in which the letters "rand" do not occur at all is returned as it is without being tokenized
// (the translation or the check that follows reports its errors), which spares every
// statement without RAND() a second tokenization.
std::string substitute_rand(std::string_view sql, std::uint64_t seed, std::size_t statement);

}  // namespace orcraft::backend::dialect
