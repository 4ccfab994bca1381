//! Opening MTConnect sources (feature `mtconnect`): a recorded SHDR file, an adapter's SHDR stream
//! over TCP, or an agent polled over HTTP (see `crate::mtconnect`). A test run may replace any of
//! them with a file of JSON records (`--source NAME=PATH`), in the keys of an observation's record.

use super::{OpenSource, Run};
use crate::error::RunError;
use crate::http::{HttpConnection, StateFile};
use crate::mtconnect::{
    AdapterConnection, AdapterSource, AgentSource, MtconnectSource, MtconnectStream, Selection,
    ShdrFileSource,
};

impl Run {
    /// Opens the MTConnect source a mapping declares. A file that cannot be opened, or a
    /// connection's settings that are wrong, stop the run here; an adapter or agent not reachable
    /// yet is waited for. An agent source keeps its position in `mtconnect-<mapping>-<source>.json`
    /// beside the dead letter.
    pub fn mtconnect_source(
        &mut self,
        name: &str,
        source: &MtconnectSource<'_>,
    ) -> Result<OpenSource, RunError> {
        if let Some(replaced) = self.replaced_source(name)? {
            return Ok(replaced);
        }
        let selection = Selection::new(source);
        match source.stream {
            MtconnectStream::ShdrFile { path } => {
                let file = ShdrFileSource::open(name, &self.resolve(path), selection)?;
                self.source_index(name);
                Ok(OpenSource::blocking(file))
            }
            MtconnectStream::Adapter { connection } => {
                let settings = AdapterConnection::from_settings(self.connection(connection)?)?;
                let adapter = AdapterSource::new(name, settings, selection);
                self.source_index(name);
                Ok(OpenSource::stream(adapter))
            }
            MtconnectStream::Agent {
                connection,
                poll_interval,
                count,
            } => {
                let settings = HttpConnection::from_settings(self.connection(connection)?)?;
                let dead_letter = self.base_dir.join(&self.config.dead_letter);
                let folder = dead_letter.parent().unwrap_or(&self.base_dir);
                let state = StateFile::new(
                    folder.join(format!("mtconnect-{}-{name}.json", self.program.mapping)),
                );
                let mut agent =
                    AgentSource::open(name, &settings, selection, count, poll_interval, state)?;
                if let Some(metrics) = self.ops.metrics() {
                    agent.count_into(metrics.mtconnect_counters(name));
                }
                self.count_lost(name, agent.counters().lost.clone());
                Ok(OpenSource::stream(agent))
            }
        }
    }
}
