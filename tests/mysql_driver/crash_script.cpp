#include "crash_script.hpp"

namespace orcraft::mysql_test {

std::vector<ScriptEntry> crash_script() {
    const backend::Stamp stamp{1700000000000000, 42};
    return {
        {1, stamp, {{"CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, v INT)", {}}}},
        {2,
         stamp,
         {{"INSERT INTO t (v) VALUES (?)", {std::int64_t{1}}},
          {"CREATE TABLE u (id INT PRIMARY KEY)", {}},
          {"INSERT INTO u VALUES (10)", {}},
          {"ALTER TABLE t ADD COLUMN w INT NOT NULL DEFAULT 0", {}},
          {"INSERT INTO t (v, w) VALUES (2, 5)", {}}}},
        {3, stamp, {{"INSERT INTO t (v) VALUES (3)", {}}}},
    };
}

int apply_script(backend::Driver& driver) {
    int errors = 0;
    for (const auto& e : crash_script()) {
        if (driver.execute(e.batch, e.stamp, e.index).error) ++errors;
    }
    return errors;
}

std::vector<ScriptEntry> group_script() {
    const backend::Stamp stamp{1700000000000000, 42};
    auto insert_g = [&](std::uint64_t index) {
        return ScriptEntry{
            index, stamp, {{"INSERT INTO g (v) VALUES (?)", {static_cast<std::int64_t>(index)}}}};
    };
    return {
        {1,
         stamp,
         {{"CREATE TABLE g (id INT AUTO_INCREMENT PRIMARY KEY, v INT NOT NULL UNIQUE)", {}}}},
        insert_g(2),
        insert_g(3),
        {4, stamp, {{"INSERT INTO g (v) VALUES (4)", {}}, {"INSERT INTO g (v) VALUES (2)", {}}}},
        insert_g(5),
        {6, stamp, {{"CREATE TABLE h (id INT PRIMARY KEY)", {}}, {"INSERT INTO h VALUES (6)", {}}}},
        insert_g(7),
        {8, stamp, {{"INSERT INTO h VALUES (8)", {}}}},
        insert_g(9),
    };
}

int apply_group_script(backend::Driver& driver) {
    int errors = 0;
    const auto script = group_script();
    auto run = [&](const ScriptEntry& e) {
        if (driver.execute(e.batch, e.stamp, e.index).error) ++errors;
    };
    run(script.front());
    driver.begin_group();
    for (std::size_t i = 1; i < script.size(); ++i)
        run(script[i]);
    driver.end_group();
    return errors;
}

}  // namespace orcraft::mysql_test
