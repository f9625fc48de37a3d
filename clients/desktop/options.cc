#include "clients/desktop/options.h"

#include <cstdlib>

#include <QCommandLineParser>

#include "clients/common/client_common.h"
#include "absl/strings/str_cat.h"

namespace kneecoach::desktop {

absl::StatusOr<ClientOptions> ParseOptions(const QStringList& arguments) {
  QCommandLineParser parser;
  parser.setApplicationDescription(
      QStringLiteral("kneecoach-desktop: the physiotherapist's caseload, trends, alerts and "
                     "decisions, from kneecoach-server."));
  parser.addHelpOption();
  // --server as in the kneecoach CLI; --target is the same option.
  const QCommandLineOption target(
      QStringList{QStringLiteral("server"), QStringLiteral("target")},
      QStringLiteral("host:port of kneecoach-server (default $KNEECOACH_SERVER or "
                     "127.0.0.1:50051)."),
      QStringLiteral("HOST:PORT"));
  const QCommandLineOption token_file(
      QStringLiteral("token-file"),
      QStringLiteral("file whose first line is the access token (else $KNEECOACH_TOKEN, "
                     "else $KNEECOACH_TOKEN_FILE)."),
      QStringLiteral("PATH"));
  parser.addOption(target);
  parser.addOption(token_file);
  parser.process(arguments);  // exits on --help and on unknown options

  ClientOptions options;
  if (parser.isSet(target)) {
    options.target = parser.value(target).toStdString();
  } else if (const char* env = std::getenv("KNEECOACH_SERVER"); env != nullptr && *env != '\0') {
    options.target = env;
  }
  if (parser.isSet(token_file)) {
    auto token = clients::ReadTokenFile("--token-file", parser.value(token_file).toStdString());
    if (!token.ok()) return token.status();
    options.token = *token;
  } else if (const char* env = std::getenv("KNEECOACH_TOKEN"); env != nullptr && *env != '\0') {
    options.token = env;
  } else if (const char* env = std::getenv("KNEECOACH_TOKEN_FILE");
             env != nullptr && *env != '\0') {
    auto token = clients::ReadTokenFile("KNEECOACH_TOKEN_FILE", env);
    if (!token.ok()) return token.status();
    options.token = *token;
  }
  return options;
}

}  // namespace kneecoach::desktop
