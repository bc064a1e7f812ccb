package io.fedsync.daemon.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.core.spi.FilterReply;
import org.junit.jupiter.api.Test;

class InformerStopFilterTest {

    private final LoggerContext context = new LoggerContext();
    private final InformerStopFilter filter = new InformerStopFilter();

    @Test
    void onlyTheInformersStopLineIsDropped() {
        var listener = context.getLogger(InformerStopFilter.LOGGER);
        assertThat(filter.decide(null, listener, Level.ERROR, "processor interrupted: {}", null, null))
                .isEqualTo(FilterReply.DENY);
        assertThat(filter.decide(null, listener, Level.ERROR, "failed invoking ADD event handler: {}", null, null))
                .as("a failing handler is still an error").isEqualTo(FilterReply.NEUTRAL);
        assertThat(filter.decide(null, context.getLogger("io.fedsync.federation.Federator"), Level.ERROR,
                "processor interrupted: {}", null, null)).isEqualTo(FilterReply.NEUTRAL);
        assertThat(filter.decide(null, listener, Level.ERROR, null, null, null)).isEqualTo(FilterReply.NEUTRAL);
        assertThat(filter.decide(null, context.getLogger(InformerStopFilter.CONTROLLER), Level.ERROR,
                "DefaultController#processLoop get interrupted {}", null, null)).isEqualTo(FilterReply.DENY);
    }
}
