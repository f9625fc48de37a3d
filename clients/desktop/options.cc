#include "clients/desktop/options.h"

#include <cstdlib>

#include <QCommandLineParser>

#include "absl/strings/str_cat.h"
#include "clients/common/client_common.h"

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
  const QCommandLineOption tls_ca(
      QStringList{QStringLiteral("tls_ca"), QStringLiteral("tls-ca")},
      QStringLiteral("PEM file of the certificate authority that signed the server's TLS "
                     "certificate: connect with TLS (else $KNEECOACH_TLS_CA; without either, "
                     "plaintext)."),
      QStringLiteral("PEM"));
  parser.addOption(target);
  parser.addOption(token_file);
  parser.addOption(tls_ca);
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
  std::string ca_path;
  if (parser.isSet(tls_ca)) {
    ca_path = parser.value(tls_ca).toStdString();
  } else if (const char* env = std::getenv("KNEECOACH_TLS_CA"); env != nullptr && *env != '\0') {
    ca_path = env;
  }
  if (!ca_path.empty()) {
    auto pem = clients::ReadPemFile("--tls_ca", ca_path);
    if (!pem.ok()) return pem.status();
    options.tls_ca_pem = *std::move(pem);
  }
  return options;
}

}  // namespace kneecoach::desktop
