#pragma once
// The typed commands the embedding tests register: a counter table and its commands.
//
//   counters(name TEXT PRIMARY KEY, value BIGINT), events(id AUTO_INCREMENT, name, at DATETIME)
//   "add"    payload "<name>:<amount>": rejects an unknown counter or a negative result, else
//            adds and logs an event; returns the new value as text
//   "pair"   payload "<name>": inserts the counter `name` twice in one write (the second insert
//            fails on the primary key), so nothing is applied; rejected naming statement 1
//   "pair-or-note" the same, but catches the failure and returns "exists <statement>"
//   "stamp"  returns "<index> <stamp micros> <stamp seed>" without writing

#include <string>
#include <vector>

#include "server/embed/orcraft.hpp"

namespace orcraft::tests::embed {

const std::vector<orcraft::embed::Statement>& counter_schema();
void register_counter_commands(orcraft::embed::Node& node);

// One integer read with ReadLevel::None ("SELECT ..." returning one row and column).
std::int64_t read_int(orcraft::embed::Node& node, const std::string& sql,
                      orcraft::embed::ReadLevel level = orcraft::embed::ReadLevel::None);

}  // namespace orcraft::tests::embed
