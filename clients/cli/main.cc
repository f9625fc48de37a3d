// kneecoach: the command-line client of kneecoach-server.
//
//   kneecoach [--server=HOST:PORT] [--token=T | --token-file=PATH] [--tls_ca=PEM] [--json]
//             [--timeout=S]
//             <noun> [<verb>] [args]
//
// Global flags are absl flags and may also appear after the command; everything else after
// the command words is parsed by the command's own option list (args.h).
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "clients/cli/command.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051",
          "host:port of kneecoach-server (environment: KNEECOACH_SERVER)");
ABSL_FLAG(bool, json, false, "print each response as one JSON document, proto field names");
ABSL_FLAG(double, timeout, 10, "deadline of each call, seconds");
ABSL_FLAG(std::string, token, "",
          "access token, sent as \"authorization: Bearer <token>\" (environment: "
          "KNEECOACH_TOKEN)");
ABSL_FLAG(std::string, token_file, "",
          "file whose first line is the access token (environment: KNEECOACH_TOKEN_FILE)");
ABSL_FLAG(std::string, tls_ca, "",
          "PEM file of the CA that signed the server's TLS certificate: connect with TLS "
          "(environment: KNEECOACH_TLS_CA); without it, plaintext");

namespace kneecoach::cli {
namespace {

std::vector<Command> AllCommands() {
  std::vector<Command> all;
  for (auto group :
       {LibraryCommands(), PatientCommands(), PatientRecordCommands(), ProgramCommands(),
        SessionCommands(), OutcomeCommands(), AlertCommands(), AccessCommands()}) {
    for (auto& command : group) all.push_back(std::move(command));
  }
  return all;
}

// The command whose words are the longest prefix of `words`; null if none.
const Command* FindCommand(const std::vector<Command>& commands,
                           const std::vector<std::string>& words) {
  const Command* best = nullptr;
  for (const Command& command : commands) {
    if (command.words.size() > words.size()) continue;
    if (!std::equal(command.words.begin(), command.words.end(), words.begin())) continue;
    if (best == nullptr || command.words.size() > best->words.size()) best = &command;
  }
  return best;
}

void PrintHelp(std::ostream& out, const std::vector<Command>& commands) {
  out << "kneecoach: command-line client of kneecoach-server, the runner's knee coach.\n\n"
         "usage: kneecoach [global flags] <command> [arguments] [options]\n"
         "\ncommands:\n";
  for (const Command& command : commands) {
    out << absl::StreamFormat("  %-32s %s\n", CommandLine(command), command.summary);
  }
  out << "\nglobal flags (before or after the command):\n"
         "  --server=HOST:PORT   server address (default 127.0.0.1:50051, or $KNEECOACH_SERVER)\n"
         "  --json               print each response as one JSON document (proto field names)\n"
         "  --timeout=SECONDS    deadline of each call (default 10)\n"
         "  --token=TOKEN        access token sent on every call (or $KNEECOACH_TOKEN)\n"
         "  --token-file=PATH    the token from the first line of PATH, out of shell history\n"
         "                       (or $KNEECOACH_TOKEN_FILE; flags beat the environment)\n"
         "  --tls_ca=PEM         connect with TLS, trusting the CA certificate in PEM\n"
         "                       (or $KNEECOACH_TLS_CA); without it, plaintext\n"
         "\nIds may be short (abc) or full names (programs/abc). `kneecoach <command> --help`\n"
         "lists a command's options. Exit status: 0 ok, 2 invalid argument, 3 not found,\n"
         "1 any other error.\n";
}

void PrintCommandHelp(std::ostream& out, const Command& command) {
  out << "usage: kneecoach " << CommandLine(command)
      << (command.options.empty() ? "" : " [options]") << "\n"
      << command.summary << "\n";
  if (!command.options.empty()) out << "options:\n";
  for (const OptionSpec& option : command.options) {
    const std::string usage = OptionUsage(option);
    if (option.help.empty()) {
      out << "  " << usage << "\n";
    } else if (usage.size() > 30) {
      out << "  " << usage << "\n" << std::string(35, ' ') << option.help << "\n";
    } else {
      out << absl::StreamFormat("  %-32s %s\n", usage, option.help);
    }
  }
}

// Nouns with the given first word, for "unknown command" help.
void PrintNounHelp(std::ostream& out, const std::vector<Command>& commands,
                   const std::string& noun) {
  for (const Command& command : commands) {
    if (command.words.front() == noun) out << "  kneecoach " << CommandLine(command) << "\n";
  }
}

// argv split into what absl parses (argv[0] and the global flags, wherever they appear,
// with "-" in their names as "_") and the command words with their options.
struct SplitArgs {
  std::vector<std::string> global;
  std::vector<std::string> command;
  bool help = false;
};

SplitArgs Split(int argc, char** argv) {
  SplitArgs split;
  split.global.push_back(argv[0]);
  bool options_ended = false;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (options_ended || arg == "--") {
      options_ended = true;
      split.command.emplace_back(arg);
      continue;
    }
    if (arg == "--help" || arg == "-h" || arg == "-help") {
      split.help = true;
      continue;
    }
    absl::string_view name = arg;
    const bool is_flag = absl::ConsumePrefix(&name, "--") || absl::ConsumePrefix(&name, "-");
    const bool has_value = absl::StrContains(name, '=');
    name = name.substr(0, name.find('='));
    const std::string flag = absl::StrReplaceAll(name, {{"-", "_"}});
    if (is_flag && (flag == "server" || flag == "timeout" || flag == "token" ||
                    flag == "token_file" || flag == "tls_ca")) {
      split.global.push_back(absl::StrCat("--", flag, has_value ? arg.substr(arg.find('=')) : ""));
      if (!has_value && i + 1 < argc) split.global.push_back(argv[++i]);
    } else if (is_flag && (name == "json" || name == "nojson" || split.command.empty())) {
      split.global.push_back(argv[i]);
    } else {
      split.command.emplace_back(arg);
    }
  }
  return split;
}

// The access token: --token, --token-file, $KNEECOACH_TOKEN, $KNEECOACH_TOKEN_FILE, in that
// order; "" when none is given.
absl::StatusOr<std::string> ResolveToken() {
  const std::string token = absl::GetFlag(FLAGS_token);
  const std::string file = absl::GetFlag(FLAGS_token_file);
  if (!token.empty() && !file.empty()) {
    return absl::InvalidArgumentError("give --token or --token-file, not both");
  }
  if (!token.empty()) return token;
  if (!file.empty()) return clients::ReadTokenFile("--token-file", file);
  if (const char* env = std::getenv("KNEECOACH_TOKEN"); env != nullptr && *env != '\0') {
    return std::string(env);
  }
  if (const char* env = std::getenv("KNEECOACH_TOKEN_FILE"); env != nullptr && *env != '\0') {
    return clients::ReadTokenFile("KNEECOACH_TOKEN_FILE", env);
  }
  return std::string();
}

int Main(int argc, char** argv) {
  const std::vector<Command> commands = AllCommands();
  SplitArgs split = Split(argc, argv);
  if (const char* env = std::getenv("KNEECOACH_SERVER"); env != nullptr && *env != '\0') {
    absl::SetFlag(&FLAGS_server, env);
  }
  std::vector<char*> global;
  for (std::string& arg : split.global) global.push_back(arg.data());
  absl::ParseCommandLine(static_cast<int>(global.size()), global.data());

  if (!split.command.empty() && split.command.front() == "help") {
    split.command.erase(split.command.begin());
    split.help = true;
  }
  if (split.command.empty()) {
    PrintHelp(split.help ? std::cout : std::cerr, commands);
    return split.help ? kExitOk : kExitInvalidArgument;
  }
  const Command* command = FindCommand(commands, split.command);
  if (command == nullptr) {
    std::cerr << "error: unknown command \"" << absl::StrJoin(split.command, " ") << "\"\n";
    PrintNounHelp(std::cerr, commands, split.command.front());
    std::cerr << "(kneecoach --help lists every command)\n";
    return kExitInvalidArgument;
  }
  if (split.help) {
    PrintCommandHelp(std::cout, *command);
    return kExitOk;
  }
  const std::vector<std::string> rest(split.command.begin() + command->words.size(),
                                      split.command.end());
  absl::StatusOr<Args> args = Args::Parse(rest, command->options);
  const size_t required = RequiredPositionals(*command);
  if (args.ok() && (args->positionals().size() < required ||
                    args->positionals().size() > command->positionals.size())) {
    args = absl::InvalidArgumentError(absl::StrCat(
        "expected ", required == command->positionals.size() ? "" : absl::StrCat(required, "-"),
        command->positionals.size(), " argument(s) (", absl::StrJoin(command->positionals, " "),
        "), got ", args->positionals().size()));
  }
  if (!args.ok()) {
    UsageError(args.status().message());
    PrintCommandHelp(std::cerr, *command);
    return kExitInvalidArgument;
  }

  RpcOptions options;
  options.server = absl::GetFlag(FLAGS_server);
  options.json = absl::GetFlag(FLAGS_json);
  options.timeout = absl::Seconds(absl::GetFlag(FLAGS_timeout));
  absl::StatusOr<std::string> token = ResolveToken();
  if (!token.ok()) return UsageError(token.status().message());
  options.token = *std::move(token);
  std::string ca_path = absl::GetFlag(FLAGS_tls_ca);
  if (const char* env = std::getenv("KNEECOACH_TLS_CA");
      ca_path.empty() && env != nullptr && *env != '\0') {
    ca_path = env;
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!ca_path.empty()) {
    absl::StatusOr<std::string> pem = clients::ReadPemFile("--tls_ca", ca_path);
    if (!pem.ok()) return UsageError(pem.status().message());
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = *std::move(pem);
    credentials = grpc::SslCredentials(ssl);
  }
  Stubs stubs(grpc::CreateChannel(options.server, credentials));
  const Rpc rpc(options, stubs);
  return command->run(Context{rpc, *args});
}

}  // namespace
}  // namespace kneecoach::cli

int main(int argc, char** argv) { return kneecoach::cli::Main(argc, argv); }
