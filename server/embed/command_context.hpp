#pragma once
// How a Node hands an application's CommandHandler (orcraft.hpp) to the state machine: the
// adapter gives the handler a CommandContext over the applying node's driver.

#include <string>

#include "backend/sql_state_machine.hpp"
#include "server/embed/orcraft.hpp"

namespace orcraft::embed {

// The backend::CommandHandler that runs `handler` with a CommandContext.
backend::CommandHandler adapt_handler(CommandHandler handler);

}  // namespace orcraft::embed
