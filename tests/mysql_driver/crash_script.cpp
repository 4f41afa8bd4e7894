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

}  // namespace orcraft::mysql_test
