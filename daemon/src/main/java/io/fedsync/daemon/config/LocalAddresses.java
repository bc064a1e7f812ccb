package io.fedsync.daemon.config;

import java.io.IOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * Whether {@code http.listen}'s host is an address of this machine: binding any other address
 * fails with "Cannot assign requested address", which {@code --check} should say up front.
 */
final class LocalAddresses {

    private static final int LISTED = 8;

    private LocalAddresses() {
    }

    /** Why fedsyncd cannot listen on {@code host}, or empty. */
    static Optional<String> problem(String host) {
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
            return Optional.of("the host '" + host + "' cannot be resolved to an address");
        }
        for (InetAddress a : addresses) {
            if (isLocal(a)) {
                return Optional.empty();
            }
        }
        if (nonLocalBindAllowed(addresses[0])) {
            return Optional.empty();
        }
        return Optional.of(host + (addresses.length == 1 && addresses[0].getHostAddress().equals(host) ? ""
                : " (" + addresses[0].getHostAddress() + ")") + " is not an address of this host; use one of its "
                + "addresses " + ownAddresses() + ", or 0.0.0.0 for all of them");
    }

    private static boolean isLocal(InetAddress a) {
        if (a.isAnyLocalAddress() || a.isLoopbackAddress()) {
            return true;
        }
        try {
            return NetworkInterface.getByInetAddress(a) != null;
        } catch (SocketException e) {
            // Cannot tell: let the bind decide rather than refuse a working config.
            return true;
        }
    }

    /** {@code net.ipv4.ip_nonlocal_bind=1} (keepalived setups) lets a process bind any address. */
    private static boolean nonLocalBindAllowed(InetAddress a) {
        String family = a.getAddress().length == 4 ? "ipv4" : "ipv6";
        try {
            return Files.readString(Path.of("/proc/sys/net/" + family + "/ip_nonlocal_bind"), StandardCharsets.US_ASCII)
                    .strip().equals("1");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static List<String> ownAddresses() {
        List<String> out = new ArrayList<>();
        try {
            for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!nif.isUp()) {
                    continue;
                }
                for (InetAddress a : Collections.list(nif.getInetAddresses())) {
                    if (!a.isLinkLocalAddress() && out.size() < LISTED) {
                        String text = a.getHostAddress();
                        out.add(text.contains(":") ? "[" + text.replaceAll("%.*$", "") + "]" : text);
                    }
                }
            }
        } catch (SocketException e) {
            // Listing them is a courtesy.
        }
        Collections.sort(out);
        return out;
    }
}
