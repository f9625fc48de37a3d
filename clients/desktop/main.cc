// kneecoach-desktop: the physiotherapist's desktop client of kneecoach-server.
//
//   kneecoach-desktop [--server=HOST:PORT] [--token-file=PATH] [--tls_ca=PEM]
//
// The token comes from --token-file, $KNEECOACH_TOKEN or $KNEECOACH_TOKEN_FILE; --tls_ca (or
// $KNEECOACH_TLS_CA) connects with TLS (options.h).
#include <cstdio>
#include <memory>

#include <QApplication>

#include "clients/desktop/main_window.h"
#include "clients/desktop/options.h"

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setApplicationName(QStringLiteral("kneecoach-desktop"));
  auto options = kneecoach::desktop::ParseOptions(QApplication::arguments());
  if (!options.ok()) {
    std::fprintf(stderr, "kneecoach-desktop: %s\n",
                 std::string(options.status().message()).c_str());
    return 2;
  }
  if (options->token.empty()) {
    std::fprintf(stderr,
                 "kneecoach-desktop: no token (give --token-file, or set KNEECOACH_TOKEN or "
                 "KNEECOACH_TOKEN_FILE); calls will be refused\n");
  }
  kneecoach::desktop::MainWindow window(
      std::make_shared<const kneecoach::desktop::Client>(*std::move(options)));
  window.show();
  return QApplication::exec();
}
