package io.fedsync.daemon.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.Marker;

/**
 * Drops the lines client-java's informers log at ERROR when they are stopped on purpose
 * ({@code ProcessorListener}: "processor interrupted", {@code Controller}: "processLoop get
 * interrupted"), as when this replica stops leading or
 * fedsyncd stops: an ERROR on every clean stop teaches operators to ignore ERRORs. Everything else
 * those loggers say (a failing event handler) still gets through.
 */
public final class InformerStopFilter extends TurboFilter {

    static final String LOGGER = "io.kubernetes.client.informer.cache.ProcessorListener";
    static final String CONTROLLER = "io.kubernetes.client.informer.cache.Controller";

    /** The lines an informer logs when it is stopped, by logger: how they start. */
    private static final java.util.Map<String, String> STOP_LINES = java.util.Map.of(
            LOGGER, "processor interrupted",
            CONTROLLER, "DefaultController#processLoop get interrupted");

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
        String stopLine = logger == null ? null : STOP_LINES.get(logger.getName());
        return stopLine != null && format != null && format.startsWith(stopLine) ? FilterReply.DENY : FilterReply.NEUTRAL;
    }
}
