#pragma once
// Human-readable and tab-separated renderings of the API's JSON answers.
//
// Every function takes a parsed answer and returns the text to print (ending in a newline when
// not empty). They only read fields that the HTTP API documents (docs/http-api.md) and leave out
// what is missing, so an answer from a newer node still prints.

#include <string>

#include <nlohmann/json.hpp>

namespace orcraft::client {

// A query answer {"results": [{"columns", "types", "values"}...]} as one aligned table per
// statement, each followed by "(N rows)"; tables are separated by a blank line. NULL prints as
// NULL; numeric columns are right-aligned; a tab, newline, carriage return or backslash inside a
// value is written as \t, \n, \r or \\ so that every row stays on one line.
std::string render_query_table(const nlohmann::ordered_json& answer);

// The same as tab-separated values: a header line of column names, then one line per row, with
// the same escapes; results of several statements are separated by a blank line.
std::string render_query_tsv(const nlohmann::ordered_json& answer);

// An execute answer {"results": [{"rows_affected", "last_insert_id"}...]}: one line per
// statement ("1 row affected, last insert id 7"), numbered when there are several.
std::string render_execute(const nlohmann::ordered_json& answer);

// The status envelope: its Message, then "Key: value" for each field of Details (nested values
// as compact JSON).
std::string render_status(const nlohmann::ordered_json& answer);

// A JSON value as a table cell: strings as they are, null as NULL, others as compact JSON.
std::string cell_text(const nlohmann::ordered_json& value);

}  // namespace orcraft::client
